import CosmosAPI
import Hummingbird

/// `/v1/status`, `/v1/pause`, `/v1/resume`.
struct QueueController: Sendable {
    let commands: Commands
    let queries: Queries

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.get(RouterPath(APIPath.status)) { _, _ in try Response.json(try await queries.status()) }
        router.post(RouterPath(APIPath.pause)) { _, context in
            try await commands.setPaused(true, by: try await context.caller())
            return try Response.json(try await queries.status())
        }
        router.post(RouterPath(APIPath.resume)) { _, context in
            try await commands.setPaused(false, by: try await context.caller())
            return try Response.json(try await queries.status())
        }
    }
}
