/// `cosmosctl web --json`: the dashboard URL with its one-time login token, and when the token expires.
public struct WebLoginView: Codable, Sendable, Equatable {
    public var url: String
    public var expiresAt: String

    public init(url: String, expiresAt: String) {
        self.url = url
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case url
        case expiresAt = "expires_at"
    }
}
