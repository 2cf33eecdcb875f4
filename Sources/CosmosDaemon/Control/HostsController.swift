import CosmosAPI
import Hummingbird

/// `/v1/hosts` and `/v1/hosts/:name/{drain,resume}`.
struct HostsController: Sendable {
    let commands: Commands
    let queries: Queries

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.get(RouterPath(APIPath.hosts)) { _, _ in
            try Response.json(HostsResponse(hosts: try await queries.hosts()))
        }
        for (action, draining) in [(HostAction.drain, true), (.resume, false)] {
            router.post(RouterPath(APIPath.host(APIPath.parameter("name"), action))) { _, context in
                let name = context.parameters.get("name") ?? ""
                try await commands.setDraining(name, draining, by: try await context.caller())
                return try Response.json(try await queries.host(name))
            }
        }
    }
}
