import Foundation
import Testing

/// HTTPS: the listener with a certificate serves the dashboard over TLS and marks the session cookie Secure.
@Suite("Web listener over HTTPS against the real daemon", .serialized)
struct WebTLSIntegrationTests {
    @Test("with tls_cert and tls_key the dashboard answers over HTTPS only, and its session cookie is Secure")
    func https() throws {
        let port = try WebMetricsIntegrationTests.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let made = DaemonHarness.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
                "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
            ]
        )
        try #require(made.status == 0, "openssl: \(made.stderr)")
        let harness = try DaemonHarness(
            extra: """
                [web]
                listen = "127.0.0.1:\(port)"
                tls_cert = "\(directory)/cert.pem"
                tls_key = "\(directory)/key.pem"

                """
        )
        try run(harness) { daemon in
            let url = daemon.ctl(["web"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(url.hasPrefix("https://127.0.0.1:\(port)/login?token="))
            let login = WebMetricsIntegrationTests.curl(
                ["--cacert", directory + "/cert.pem", "-D", "-", "-o", "/dev/null", url]
            )
            #expect(login.stdout.contains("303"))
            let cookie = login.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }
            #expect(cookie?.contains("Secure") == true && cookie?.contains("HttpOnly") == true)
            let plain = WebMetricsIntegrationTests.curl([
                "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/",
            ])
            #expect(plain.stdout != "200" && plain.stdout != "401")
        }
    }
}
