import CosmosAPI
import CosmosStore
import Foundation
import Hummingbird

/// `GET /v1/usage?since=RFC3339&by=owner|image`: GPU accounting.
struct UsageController: Sendable {
    let queries: Queries

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.get(RouterPath(APIPath.usage)) { request, context in
            let query = request.uri.queryParameters
            var grouping = UsageGrouping.owner
            if let text = query.get("by") {
                guard let value = UsageGrouping(rawValue: text) else {
                    let names = UsageGrouping.allCases.map(\.rawValue).joined(separator: " or ")
                    throw InvalidRequest(field: "by", reason: "unknown grouping \"\(text)\"; use \(names)")
                }
                grouping = value
            }
            var since: Date?
            if let text = query.get("since") {
                guard let value = Timestamp.parse(text) else {
                    throw InvalidRequest(
                        field: "since",
                        reason: "is not an RFC 3339 time such as 2026-12-01T00:00:00.000Z (got \"\(text)\")"
                    )
                }
                since = value
            }
            let viewer = try await context.caller().identity
            return try Response.json(try await queries.usage(since: since, by: grouping, viewer: viewer))
        }
    }
}
