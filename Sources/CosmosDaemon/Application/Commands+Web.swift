import CosmosAPI
import CosmosStore
import Foundation

extension Commands {
    /// `cosmosctl web`: a one-time login token for the caller's uid, short-lived, and the URL that spends it.
    func issueWebLogin(by caller: PeerCredentials, now: Date = Date()) async throws -> WebLoginView {
        try await audited("web-login", "dashboard", by: caller) {
            let web = configuration.web
            guard let base = web.baseURL else {
                throw APIError(
                    .conflict,
                    "web_off",
                    "the dashboard is off: set [web] listen = \"127.0.0.1:8780\" in the configuration and restart"
                )
            }
            let token = WebTokens.random()
            let expires = now.addingTimeInterval(Double(web.loginSeconds))
            try await database.createWebLogin(token: token, uid: caller.uid, expiresAt: expires, now: now)
            return WebLoginView(url: "\(base)/login?token=\(token)", expiresAt: Timestamp.format(expires))
        }
    }
}

/// Random, URL-safe secrets for login tokens, sessions and CSRF tokens.
enum WebTokens {
    /// 32 random bytes from the system's generator, as 64 hex digits.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
