import CosmosAPI
import CosmosStore
import Foundation
import HTTPTypes
import Hummingbird

/// Who may reach what on the dashboard listener: the session cookie, the CSRF token, and the security headers.
///
/// - `/login` and `/assets/` need no session; `/metrics` follows `[web] metrics`.
/// - Everything else needs a session: the API answers 401 in JSON, pages say how to get one.
/// - A request that changes state (not GET or HEAD) must carry the session's token in `X-CSRF-Token`, else 403.
struct WebAccessMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext

    let database: AppDatabase
    let metricsAccess: @Sendable () -> WebSettings.MetricsAccess
    let pages: DashboardPages

    /// The session cookie's name.
    static let cookie = "cosmos_session"
    /// The header a state-changing request carries its CSRF token in.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        if let id = request.cookies[Self.cookie]?.value, !id.isEmpty {
            context.session = try await database.webSession(id)
        }
        var response: Response
        do {
            response = try await answer(request, context: context, next: next)
        } catch let error as any HTTPResponseError {
            // Refusals carry the same headers as pages.
            response = try error.response(from: request, context: context)
        }
        Self.secure(&response.headers)
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        if path == "/login" || path.hasPrefix("/assets/") { return try await next(request, context) }
        if path == "/metrics" {
            switch metricsAccess() {
            case .open: return try await next(request, context)
            case .loopback where context.fromLoopback: return try await next(request, context)
            case .loopback, .login: break
            }
        }
        guard let session = context.session else {
            if path.hasPrefix(APIPath.version + "/") || path == "/metrics" {
                throw APIError(
                    .unauthorized,
                    "no_session",
                    "log in first: run `cosmosctl web` and open the URL it prints"
                )
            }
            return pages.loginNeeded()
        }
        if request.method != .get && request.method != .head {
            guard let token = request.headers[Self.csrfHeader], token == session.csrf else {
                throw APIError(
                    .forbidden,
                    "csrf",
                    "the request carries no valid X-CSRF-Token; reload the page and try again"
                )
            }
        }
        return try await next(request, context)
    }

    /// Headers every answer carries: no framing, no sniffing, no referrer (login URLs hold a token), own scripts.
    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}
