import CosmosDomain
import Foundation
import GRDB

extension JobRecord {
    /// The decoder of the JSON columns (`spec`, `devices`, `outputs`).
    private static let columnDecoder = JSONDecoder()

    /// Reads a row by column name, as the Codable conformance would, without its per-row key conversion.
    ///
    /// Lists and scheduling rounds read many rows: the snake-case conversion and keyed containers cost more
    /// than the rest of a row together. `JobRecordRowTests` checks this against the Codable decoding.
    public init(row: Row) throws {
        try self.init(row: row, spec: nil)
    }

    /// Reads a row, taking `spec` as the job's spec when given (the caller decodes it).
    init(row: Row, spec: JobSpec?) throws {
        let decoder = Self.columnDecoder
        func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
            guard let text = row[column] as String? else {
                throw DatabaseError(message: "job.\(column) is NULL")
            }
            return try decoder.decode(type, from: Data(text.utf8))
        }
        /// A list column, most often `[]` (no decoder needed then).
        func strings(_ column: String) throws -> [String] {
            if let text = row[column] as String?, text == "[]" { return [] }
            return try json(column, as: [String].self)
        }
        self.init(
            id: row["id"],
            name: row["name"],
            kind: row["kind"],
            shape: row["shape"],
            state: row["state"],
            priority: row["priority"],
            seq: row["seq"],
            image: row["image"],
            spec: try spec ?? json("spec", as: JobSpec.self),
            gpus: row["gpus"],
            ownerUid: row["owner_uid"],
            attempts: row["attempts"],
            retryBase: row["retry_base"],
            host: row["host"],
            devices: try strings("devices"),
            containerId: row["container_id"],
            exitCode: row["exit_code"],
            oomKilled: row["oom_killed"],
            error: row["error"],
            reason: row["reason"],
            createdAt: row["created_at"],
            startedAt: row["started_at"],
            finishedAt: row["finished_at"],
            notBefore: row["not_before"],
            outputs: try strings("outputs"),
            batchId: row["batch_id"],
            parentId: row["parent_id"],
            batchIndex: row["batch_index"],
            heldByBatch: row["held_by_batch"],
            progress: row["progress"],
            loadSeconds: row["load_seconds"],
            sourceJobId: row["source_job_id"],
            heldByRun: row["held_by_run"],
            enhancedPrompt: row["enhanced_prompt"],
            gpuSeconds: row["gpu_seconds"]
        )
    }
}

extension JobRecord {
    /// The jobs a query selects, their specs decoded on every core: decoding that JSON is most of the cost of a
    /// long listing.
    ///
    /// The rows are read in order on the calling (database) thread, where looking up a column by name is cheap;
    /// only the spec texts are handed to the other threads, each slice decoding its own part with its own decoder
    /// (a decoder takes a lock per call).
    public static func fetchAllDecodingInParallel(_ db: Database, sql: String, arguments: StatementArguments)
        throws -> [JobRecord]
    {
        var records: [JobRecord] = []
        var texts: [String] = []
        let placeholder = JobSpec(image: "")
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            guard let text = row["spec"] as String? else { throw DatabaseError(message: "job.spec is NULL") }
            records.append(try JobRecord(row: row, spec: placeholder))
            texts.append(text)
        }
        let slices = min(ProcessInfo.processInfo.activeProcessorCount, texts.count / 128)
        guard slices > 1 else {
            for index in records.indices {
                records[index].spec = try columnDecoder.decode(JobSpec.self, from: Data(texts[index].utf8))
            }
            return records
        }
        var specs = [JobSpec?](repeating: nil, count: texts.count)
        var failures = [(any Error)?](repeating: nil, count: slices)
        specs.withUnsafeMutableBufferPointer { specs in
            failures.withUnsafeMutableBufferPointer { errors in
                let (specs, errors, texts) = (UnsafeSendable(specs), UnsafeSendable(errors), texts)
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let decoder = JSONDecoder()
                    do {
                        for index in texts.count * slice / slices..<texts.count * (slice + 1) / slices {
                            specs.value[index] = try decoder.decode(JobSpec.self, from: Data(texts[index].utf8))
                        }
                    } catch {
                        errors.value[slice] = error
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        for index in records.indices { records[index].spec = specs[index]! }
        return records
    }
}

/// The result buffers the slices of ``JobRecord/fetchAllDecodingInParallel(_:sql:arguments:)`` share; each
/// slice writes only its own indices.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
