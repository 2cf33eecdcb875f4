import CosmosAPI
import CosmosStore
import Foundation

extension Queries {
    /// `list`, streamed: hands `body` the views of the jobs `filter` selects, a chunk at a time, in list order
    /// (only the viewer's own with `[access] private`). Nothing holds more than one chunk.
    func streamJobs(
        filter: JobListFilter,
        limit: Int?,
        for viewer: CallerIdentity,
        _ body: ([JobView]) async throws -> Void
    ) async throws {
        var filter = filter
        if let visible = access.visibleOwners(viewer) { filter.owner = visible }
        try await database.streamJobs(filter: filter, limit: limit) { chunk in
            try await body(try await views(chunk))
        }
    }
}
