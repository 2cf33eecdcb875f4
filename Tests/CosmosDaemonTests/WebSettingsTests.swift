import Foundation
import Testing

@testable import CosmosDaemon

/// `[web]`: the address forms, the refusals that keep a dashboard from listening in the open, and the charts.
@Suite("Web settings and charts")
struct WebSettingsTests {
    @Test("listen takes a literal address and a port; a name, a missing port or a bad port is refused")
    func addresses() {
        #expect(WebAddress("127.0.0.1:8780") == WebAddress("127.0.0.1:8780"))
        #expect(WebAddress("127.0.0.1:8780")?.isLoopback == true)
        #expect(
            WebAddress("[::1]:8780").map { ($0.host, $0.port, $0.isLoopback) } ?? ("", 0, false) == ("::1", 8780, true)
        )
        #expect(WebAddress("0.0.0.0:8780")?.isLoopback == false)
        #expect(WebAddress("0.0.0.0:8780")?.urlAuthority == "127.0.0.1:8780")
        for bad in ["localhost:8780", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "::1:8780", "[::1]8780", ""] {
            #expect(WebAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("a [web] that would serve the dashboard in the open, or half a TLS pair, is refused naming the key")
    func refusals() {
        let cases: [(String, String, String)] = [
            ("[web]\nlisten = \"0.0.0.0:8780\"", "web.listen", "set tls_cert and tls_key"),
            ("[web]\nlisten = \"localhost:8780\"", "web.listen", "must be ip:port"),
            ("[web]\ntls_cert = \"/nonexistent/cert.pem\"", "web.tls_cert", "cannot read"),
            ("[web]\ntls_key = \"/etc/hostname\"", "web.tls_cert", "HTTPS needs both"),
            ("[web]\nurl = \"ftp://x\"", "web.url", "http:// or https://"),
            ("[web]\nmetrics = \"everyone\"", "web.metrics", "must be"),
        ]
        for (toml, key, reason) in cases {
            let error = #expect(throws: ConfigurationError.self, "\(toml)") {
                try DaemonConfiguration.parse(toml: toml)
            }
            #expect(error?.key == key, "\(toml)")
            #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
        }
    }

    @Test("the dashboard is off by default, and its URL follows listen, or url when set")
    func urls() throws {
        #expect(try DaemonConfiguration.parse(toml: "").web.baseURL == nil)
        #expect(
            try DaemonConfiguration.parse(toml: "[web]\nlisten = \"127.0.0.1:9\"").web.baseURL == "http://127.0.0.1:9"
        )
        let tunnel = try DaemonConfiguration.parse(
            toml: "[web]\nlisten = \"127.0.0.1:9\"\nurl = \"http://localhost:1/\""
        )
        #expect(tunnel.web.baseURL == "http://localhost:1")
    }

    @Test("a bar chart scales to its largest value, skips empty buckets, and escapes its labels")
    func chart() {
        let svg = SVGChart.bars(
            [
                .init(value: 2, label: "<a>", title: "t1"), .init(value: nil, label: "", title: "t2"),
                .init(value: 4, label: "", title: "t3"),
            ],
            width: 100,
            height: 50,
            unit: "jobs",
            id: "c"
        )
        #expect(svg.matches(of: #/<rect /#).count == 2)
        #expect(svg.contains("&lt;a&gt;") && !svg.contains("<a>"))
        let heights = svg.matches(of: /height="([0-9.]+)" data-value/).compactMap { Double($0.1) }
        #expect(heights.count == 2 && abs(heights[1] - 2 * heights[0]) < 0.2)
        #expect(svg.contains("<title>t3: 4 jobs</title>"))
    }
}
