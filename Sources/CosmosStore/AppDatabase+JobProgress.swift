import CosmosDomain
import Foundation
import GRDB

/// Progress that single jobs report while they run.
extension AppDatabase {
    /// Records how far a running job's current attempt is, with a `job.progress` entry; false when the attempt
    /// is no longer current or the job no longer runs.
    public func noteJobProgress(_ id: String, attempt: Int, progress: JobProgress, now: Date = Date()) async throws
        -> Bool
    {
        try await writer.write { db in
            var job = try Self.fetchJob(db, id)
            guard job.attempts == attempt, job.state == .running else { return false }
            job.progress = progress.fraction
            try job.update(db)
            var payload: [String: JSONValue] = ["attempt": .int(attempt), "fraction": .number(progress.fraction)]
            if let message = progress.message { payload["message"] = .string(message) }
            try Self.appendEvent(
                db,
                .jobProgress,
                for: job,
                payload: payload,
                message: "\(Int((progress.fraction * 100).rounded(.down)))%"
                    + (progress.message.map { " \($0)" } ?? ""),
                at: now
            )
            return true
        }
    }

    /// Records when the current attempt said its model was loaded: seconds since its start, which splits the
    /// cost model's L from c. The first such line of an attempt counts; returns whether it was recorded.
    public func noteModelLoaded(_ id: String, attempt: Int, at time: Date) async throws -> Bool {
        try await writer.write { db in
            var job = try Self.fetchJob(db, id)
            guard job.attempts == attempt, job.state == .running, job.loadSeconds == nil,
                let started = job.startedAt
            else { return false }
            job.loadSeconds = max(time.timeIntervalSince(started), 0)
            try job.update(db)
            return true
        }
    }
}
