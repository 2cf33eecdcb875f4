import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// The named-batch actions: create (all or nothing), pause, resume, cancel, retry-failed, move, delete.
extension Commands {
    /// `batch create NAME --file F`.
    func createBatch(name: String, items: [JSONValue], by caller: PeerCredentials) async throws -> BatchRecord {
        try await audited("batch create", "batch \(name)", by: caller) {
            try access.authorize(.submit, by: caller)
            guard !name.isEmpty, name.count <= SpecLimits.maxNameLength else {
                throw SpecError(
                    field: "name",
                    reason: "a batch needs a name of 1 to \(SpecLimits.maxNameLength) characters"
                )
            }
            let specs = try validateSpecs(items, key: "items", caller: caller, nameSingle: true)
            let (batch, jobs) = try await database.createBatch(name: name, specs: specs, ownerUID: caller.uid)
            for job in jobs.map(\.job) {
                logger.info(
                    "job submitted",
                    metadata: ["JOB_ID": "\(job.id)", "BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)"]
                )
            }
            scheduler.wake()
            return batch
        }
    }

    /// `batch pause ID`: holds its queued jobs; running ones carry on.
    func pauseBatch(_ id: String, by caller: PeerCredentials) async throws -> BatchRecord {
        try await changeBatch(id, verb: "pause", by: caller, wake: false) {
            try await database.pauseBatch(id, byUID: caller.uid)
        }
    }

    /// `batch resume ID`: releases the holds its pause made.
    func resumeBatch(_ id: String, by caller: PeerCredentials) async throws -> BatchRecord {
        try await changeBatch(id, verb: "resume", by: caller, wake: true) {
            try await database.resumeBatch(id, byUID: caller.uid)
        }
    }

    /// `batch cancel ID [--running]`: cancels what waits, and with `running` stops what runs.
    func cancelBatch(_ id: String, running: Bool, by caller: PeerCredentials) async throws -> BatchRecord {
        try await audited("batch cancel", "batch \(id)", by: caller) {
            try access.authorize(.changeBatch(try await database.batch(id), verb: "cancel"), by: caller)
            let (batch, toStop) = try await database.cancelBatch(id, running: running, byUID: caller.uid)
            for job in toStop { scheduler.stop(jobID: job.id) }
            logger.notice(
                "batch cancelled",
                metadata: ["BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)", "stopped": "\(toStop.count)"]
            )
            return batch
        }
    }

    /// `batch retry-failed ID`.
    func retryFailed(_ id: String, by caller: PeerCredentials) async throws -> BatchRecord {
        try await changeBatch(id, verb: "retry-failed", by: caller, wake: true) { try await database.retryFailed(id) }
    }

    /// `batch move ID --top|...`: moves every queued job of the batch together.
    func moveBatch(_ id: String, to target: MoveTarget, by caller: PeerCredentials) async throws -> BatchRecord {
        let passing = passCheck(job: "of batch \(id)", verb: "moving the batch", by: caller)
        return try await changeBatch(id, verb: "move", by: caller, wake: true) {
            try await database.moveBatch(id, to: target, passing: passing)
        }
    }

    /// `batch delete ID`: removes a finished batch, its jobs, their logs and outputs; returns how many jobs.
    func deleteBatch(_ id: String, by caller: PeerCredentials) async throws -> Int {
        try await audited("batch delete", "batch \(id)", by: caller) {
            try access.authorize(.changeBatch(try await database.batch(id), verb: "delete"), by: caller)
            let jobs = try await database.deleteBatch(id)
            for job in jobs {
                _ = removeFile(JobLogFile.path(for: job, in: configuration.logsDirectory), job: job)
                _ = removeFile(configuration.outputsDirectory + "/" + job, job: job)
            }
            logger.notice(
                "batch deleted",
                metadata: ["BATCH_ID": "\(id)", "jobs": "\(jobs.count)", "CALLER_UID": "\(caller.uid)"]
            )
            return jobs.count
        }
    }

    /// Authorizes a change of one batch, applies it, logs it, and wakes the scheduler when it can start work.
    private func changeBatch(
        _ id: String,
        verb: String,
        by caller: PeerCredentials,
        wake: Bool,
        _ apply: () async throws -> BatchRecord
    ) async throws -> BatchRecord {
        try await audited("batch \(verb)", "batch \(id)", by: caller) {
            try access.authorize(.changeBatch(try await database.batch(id), verb: verb), by: caller)
            let batch = try await apply()
            logger.notice("batch \(verb)", metadata: ["BATCH_ID": "\(batch.id)", "CALLER_UID": "\(caller.uid)"])
            if wake { scheduler.wake() }
            return batch
        }
    }
}
