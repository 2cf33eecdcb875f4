import CosmosAPI
import Hummingbird

/// `/v1/maintenance`: one maintenance run (prune, sweep, vacuum, check, backup), for admins.
struct MaintenanceController: Sendable {
    let commands: Commands

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.post(RouterPath(APIPath.maintenance)) { request, context in
            let body = try await RequestParts.decodeOptional(MaintenanceRequest.self, request, context: context)
            let view = try await commands.runMaintenance(body ?? .init(), by: try await context.caller())
            return try Response.json(view)
        }
    }
}
