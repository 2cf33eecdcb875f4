import DockerEngine
import Testing

@Suite("DockerEndpoint parsing")
struct DockerEndpointTests {
    @Test("unix:// with an absolute path")
    func unixSocket() throws {
        #expect(try DockerEndpoint(parsing: "unix:///var/run/docker.sock") == .unix(path: "/var/run/docker.sock"))
        #expect(
            try DockerEndpoint(parsing: "  unix:///run/user/1000/docker.sock\n")
                == .unix(path: "/run/user/1000/docker.sock")
        )
    }

    @Test("tcp:// with host and port, IPv6 in brackets")
    func tcp() throws {
        #expect(try DockerEndpoint(parsing: "tcp://127.0.0.1:2375") == .tcp(host: "127.0.0.1", port: 2375))
        #expect(
            try DockerEndpoint(parsing: "tcp://docker.example.com:2376/")
                == .tcp(host: "docker.example.com", port: 2376)
        )
        #expect(try DockerEndpoint(parsing: "TCP://[::1]:2375") == .tcp(host: "::1", port: 2375))
    }

    @Test("description round-trips")
    func roundTrip() throws {
        for text in ["unix:///var/run/docker.sock", "tcp://10.0.0.5:2376", "tcp://[fe80::1]:2375"] {
            #expect(try DockerEndpoint(parsing: text).description == text)
        }
    }

    @Test(
        "malformed endpoints name the problem",
        arguments: [
            ("", DockerEndpointParseError.empty),
            ("/var/run/docker.sock", .missingScheme("/var/run/docker.sock")),
            ("http://localhost:2375", .unsupportedScheme("http")),
            ("npipe:////./pipe/docker_engine", .unsupportedScheme("npipe")),
            ("unix://", .missingSocketPath("unix://")),
            ("unix://var/run/docker.sock", .relativeSocketPath("unix://var/run/docker.sock")),
            ("tcp://:2375", .missingHost("tcp://:2375")),
            ("tcp://localhost", .missingPort("tcp://localhost")),
            ("tcp://localhost:", .missingPort("tcp://localhost:")),
            ("tcp://localhost:http", .invalidPort("http")),
            ("tcp://localhost:70000", .invalidPort("70000")),
            ("tcp://::1:2375", .invalidHost("tcp://::1:2375")),
            ("tcp://[::1:2375", .invalidHost("tcp://[::1:2375")),
            ("tcp://localhost:2375/v1.41", .unexpectedPath("tcp://localhost:2375/v1.41")),
        ]
    )
    func malformed(text: String, expected: DockerEndpointParseError) {
        #expect(throws: expected) {
            try DockerEndpoint(parsing: text)
        }
        #expect(!expected.description.isEmpty)
    }

    @Test("isLoopback")
    func loopback() throws {
        #expect(DockerEndpoint.defaultUnixSocket.isLoopback)
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "LOCALHOST"] {
            #expect(DockerEndpoint.tcp(host: host, port: 2375).isLoopback, "\(host)")
        }
        for host in ["0.0.0.0", "10.0.0.1", "128.0.0.1", "docker.example.com", "fe80::1", "127.0.0.1.nip.io"] {
            #expect(!DockerEndpoint.tcp(host: host, port: 2375).isLoopback, "\(host)")
        }
    }

    @Test("TLS on a Unix socket is rejected")
    func tlsNeedsTCP() {
        #expect(throws: DockerClientError.self) {
            _ = try DockerClient(endpoint: .defaultUnixSocket, tls: DockerTLS())
        }
    }

    @Test("a client certificate without a key is rejected before any file is read")
    func certificateNeedsKey() {
        #expect(
            throws: DockerClientError.invalidTLSConfiguration("a client certificate needs a key (keyPath is missing)")
        ) {
            _ = try DockerClient(endpoint: .tcp(host: "127.0.0.1", port: 2376), tls: DockerTLS(certificatePath: "/x"))
        }
    }
}

@Suite("DockerAPIVersion")
struct DockerAPIVersionTests {
    @Test("parses and orders numerically")
    func parseAndOrder() throws {
        let v140 = try #require(DockerAPIVersion("1.40"))
        let v141 = try #require(DockerAPIVersion("1.41"))
        let v19 = try #require(DockerAPIVersion("1.9"))
        #expect(v19 < v140 && v140 < v141)
        #expect(min(v141, DockerClient.maximumAPIVersion) == v141)
        #expect(v140.description == "1.40")
        #expect(DockerAPIVersion("1") == nil)
        #expect(DockerAPIVersion("1.x") == nil)
        #expect(DockerAPIVersion("1.41.0") == nil)
        #expect(DockerClient.minimumAPIVersion == v140)
    }
}
