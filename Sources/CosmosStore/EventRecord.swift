import CosmosDomain
import Foundation
import GRDB

/// One entry of the event log, as a reader sees it; `seq` orders entries and never repeats.
public struct EventRecord: Sendable, Equatable {
    /// The entry's sequence number (the `event` table's id): read on with `events(after: seq)`.
    public var seq: Int64
    public var at: Date
    public var type: EventType
    public var jobId: String?
    /// The named batch of the job, or of a `batch.*` entry.
    public var batchId: String?
    /// The structured details of the type (see ``EventType``).
    public var payload: [String: JSONValue]
    /// A line for people; scripts read the payload.
    public var message: String

    /// An entry with all its fields.
    public init(
        seq: Int64,
        at: Date,
        type: EventType,
        jobId: String?,
        batchId: String?,
        payload: [String: JSONValue],
        message: String
    ) {
        self.seq = seq
        self.at = at
        self.type = type
        self.jobId = jobId
        self.batchId = batchId
        self.payload = payload
        self.message = message
    }

    /// Reads a row of the `event` table; an unknown type reads as ``EventType/legacy``, a payload that is not a
    /// JSON object as empty.
    init(row: Row) {
        let typeText: String = row["type"]
        let payloadText: String = row["payload"] ?? "{}"
        let payload: [String: JSONValue]
        if case .object(let object) = try? JSONValue.parse(Data(payloadText.utf8)) {
            payload = object
        } else {
            payload = [:]
        }
        self.init(
            seq: row["id"],
            at: row["at"],
            type: EventType(rawValue: typeText) ?? .legacy,
            jobId: row["job_id"],
            batchId: row["batch_id"],
            payload: payload,
            message: row["message"]
        )
    }
}
