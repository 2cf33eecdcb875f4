import CosmosAPI
import Hummingbird

/// `POST /v1/web-login`: a dashboard login for the caller (control socket only).
struct WebLoginController: Sendable {
    let commands: Commands

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.post(RouterPath(APIPath.webLogin)) { _, context in
            try Response.json(try await commands.issueWebLogin(by: try await context.caller()), status: .created)
        }
    }
}
