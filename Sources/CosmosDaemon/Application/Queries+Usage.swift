import CosmosAPI
import CosmosStore
import Foundation

extension Queries {
    /// `cosmosctl usage`: GPU-seconds by owner or image since `since`; only the viewer's own with `[access] private`.
    func usage(since: Date?, by grouping: UsageGrouping, viewer: CallerIdentity) async throws -> UsageView {
        let rows = try await database.usage(since: since, by: grouping, owner: access.visibleOwners(viewer))
        return UsageView(
            by: grouping.rawValue,
            since: Timestamp.format(since),
            rows: rows.map { row in
                UsageView.Row(
                    key: row.key,
                    user: grouping == .owner ? UInt32(row.key).flatMap(AccessPolicy.userName(uid:)) : nil,
                    jobs: row.jobs,
                    attempts: row.attempts,
                    gpuSeconds: row.gpuSeconds
                )
            }
        )
    }
}
