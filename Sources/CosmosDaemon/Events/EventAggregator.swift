import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// Turns one window of events into stream messages (pure; unit-tested).
///
/// A run of consecutive events of one type becomes one aggregate message that keeps its range
/// (`jobs.started {"job_ids", "count", "first_seq", "last_seq", "events"}`); a lone event is sent as it is.
/// Only consecutive events are merged, so every message covers a contiguous range of the (filtered) log and its
/// `id` is the last sequence number of that range: a client that resumes after any message's id misses nothing
/// and receives nothing twice.
enum EventAggregator {
    /// The messages of one window, in log order.
    static func messages(_ window: [EventRecord]) -> [StreamMessage] {
        var messages: [StreamMessage] = []
        var run: [EventRecord] = []
        for event in window {
            if let last = run.last, last.type != event.type {
                messages.append(message(run))
                run = []
            }
            run.append(event)
        }
        if !run.isEmpty { messages.append(message(run)) }
        return messages
    }

    /// One event as it is, or a run of several as their aggregate.
    static func message(_ run: [EventRecord]) -> StreamMessage {
        guard let first = run.first, let last = run.last else {
            preconditionFailure("a run has at least one event")
        }
        guard run.count > 1 else {
            return StreamMessage(id: first.seq, event: first.type.rawValue, data: object(first))
        }
        var data: [String: JSONValue] = [
            "type": .string(first.type.rawValue),
            "count": .number(Double(run.count)),
            "first_seq": .number(Double(first.seq)),
            "last_seq": .number(Double(last.seq)),
            "job_ids": .array(distinct(run.compactMap(\.jobId)).map(JSONValue.string)),
            "events": .array(run.map(object)),
        ]
        let batches = distinct(run.compactMap(\.batchId))
        if !batches.isEmpty { data["batch_ids"] = .array(batches.map(JSONValue.string)) }
        return StreamMessage(id: last.seq, event: aggregateName(first.type), data: .object(data), entries: run.count)
    }

    /// `job.started` → `jobs.started`, `batch.created` → `batches.created`; types without a plural keep their name.
    static func aggregateName(_ type: EventType) -> String {
        let name = type.rawValue
        guard let dot = name.firstIndex(of: ".") else { return name }
        let plural: [String: String] = ["job": "jobs", "batch": "batches", "host": "hosts", "batch_run": "batch_runs"]
        let prefix = String(name[..<dot])
        return (plural[prefix] ?? prefix) + String(name[dot...])
    }

    /// An event as the stream shows it.
    static func object(_ event: EventRecord) -> JSONValue {
        .object([
            "seq": .number(Double(event.seq)),
            "at": .string(Timestamp.format(event.at)),
            "type": .string(event.type.rawValue),
            "job_id": event.jobId.map(JSONValue.string) ?? .null,
            "batch_id": event.batchId.map(JSONValue.string) ?? .null,
            "payload": .object(event.payload),
            "message": .string(event.message),
        ])
    }

    /// `batch.job_complete {batch_id, job_id, success, outputs}` for a job of a named batch that ended.
    static func jobComplete(_ event: EventRecord) -> StreamMessage? {
        guard let batch = event.batchId, let job = event.jobId,
            [.jobSucceeded, .jobFailed, .jobCancelled].contains(event.type), event.payload["parent_id"] == nil
        else { return nil }
        return StreamMessage(
            id: nil,
            event: EventSelection.Derived.batchJobComplete.rawValue,
            data: .object([
                "batch_id": .string(batch),
                "job_id": .string(job),
                "success": .bool(event.type == .jobSucceeded),
                "outputs": event.payload["outputs"] ?? .array([]),
            ]),
            entries: 0
        )
    }

    /// The `resync` message: events were lost to this client (pruned, or it fell behind); it must re-read the
    /// state and continues after `resumeAfter`.
    static func resync(reason: String, oldest: Int64?, resumeAfter: Int64) -> StreamMessage {
        StreamMessage(
            id: resumeAfter,
            event: "resync",
            data: .object([
                "reason": .string(reason),
                "oldest_seq": oldest.map { .number(Double($0)) } ?? .null,
                "resume_after": .number(Double(resumeAfter)),
            ]),
            entries: 0
        )
    }

    private static func distinct(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
