import DockerEngine
import Foundation
import Testing

/// Optional: an engine behind TLS with client certificates.
///
/// Runs only when `DOCKERENGINE_TEST_TLS_HOST` (e.g. `tcp://127.0.0.1:2376`) and `DOCKERENGINE_TEST_TLS_DIR` (with
/// `ca.pem`, `cert.pem` and `key.pem`, the layout of `DOCKER_CERT_PATH`) are set.
@Suite(
    "Engine over TCP with TLS",
    .enabled(if: TLSTestEnvironment.isConfigured, "DOCKERENGINE_TEST_TLS_HOST and _DIR are not set"),
    .timeLimit(.minutes(1))
)
struct TLSTests {
    typealias Support = DockerTestSupport

    static let host = TLSTestEnvironment.host
    static let directory = TLSTestEnvironment.directory

    static func tls(withClientCertificate: Bool = true) -> DockerTLS {
        let directory = Self.directory ?? ""
        return DockerTLS(
            caCertificatePath: "\(directory)/ca.pem",
            certificatePath: withClientCertificate ? "\(directory)/cert.pem" : nil,
            keyPath: withClientCertificate ? "\(directory)/key.pem" : nil
        )
    }

    @Test("ping, run a container and read its logs over TLS")
    func runOverTLS() async throws {
        let endpoint = try DockerEndpoint(parsing: Self.host ?? "")
        try await DockerClient.withClient(endpoint: endpoint, tls: Self.tls()) { client in
            let ping = try await client.ping()
            #expect(ping.negotiatedAPIVersion >= DockerClient.minimumAPIVersion)
            let name = Support.uniqueName("tls")
            try await Support.withContainer(client, name: name, Support.shell("echo over tls; echo err >&2")) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                #expect(try await withDeadline(.seconds(20), "exit") { try await wait.result() }.statusCode == 0)
                let logs = try await Support.collectLogs(try await client.logs(id: id))
                #expect(logs.stdout == "over tls\n")
                #expect(logs.stderr == "err\n")
            }
        }
    }

    @Test("the engine refuses a client without a certificate")
    func noClientCertificate() async throws {
        let endpoint = try DockerEndpoint(parsing: Self.host ?? "")
        try await DockerClient.withClient(endpoint: endpoint, tls: Self.tls(withClientCertificate: false)) { client in
            await #expect(throws: (any Error).self) {
                try await client.ping()
            }
        }
    }
}

/// The environment variables that enable ``TLSTests``.
enum TLSTestEnvironment {
    static let host = ProcessInfo.processInfo.environment["DOCKERENGINE_TEST_TLS_HOST"]
    static let directory = ProcessInfo.processInfo.environment["DOCKERENGINE_TEST_TLS_DIR"]
    static var isConfigured: Bool { host != nil && directory != nil }
}
