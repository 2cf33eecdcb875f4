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
        let decoder = Self.columnDecoder
        func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
            guard let text = row[column] as String? else {
                throw DatabaseError(message: "job.\(column) is NULL")
            }
            return try decoder.decode(type, from: Data(text.utf8))
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
            spec: try json("spec", as: JobSpec.self),
            gpus: row["gpus"],
            ownerUid: row["owner_uid"],
            attempts: row["attempts"],
            retryBase: row["retry_base"],
            host: row["host"],
            devices: try json("devices", as: [String].self),
            containerId: row["container_id"],
            exitCode: row["exit_code"],
            oomKilled: row["oom_killed"],
            error: row["error"],
            reason: row["reason"],
            createdAt: row["created_at"],
            startedAt: row["started_at"],
            finishedAt: row["finished_at"],
            notBefore: row["not_before"],
            outputs: try json("outputs", as: [String].self),
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
