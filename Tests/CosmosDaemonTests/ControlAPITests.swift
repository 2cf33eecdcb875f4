import CosmosAPI
import CosmosDomain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import CosmosDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// A request context whose caller is this test process (the socket's SO_PEERCRED is not there in process).
struct TestControlContext: ControlContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    func caller() async throws -> PeerCredentials {
        PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    }
}

/// The control API in process, through Hummingbird's router test framework: status codes and error shapes.
@Suite("Control API error mapping")
struct ControlAPITests {
    /// Runs `body` against the control API over a fresh store and a fake engine.
    func withAPI(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let harness = try RunnerHarness()
        let scheduler = harness.scheduler()
        let registry = HostRegistry(hosts: ["local"], drained: [])
        let router = Router(context: TestControlContext.self)
        ControlAPI(
            commands: Commands(
                database: harness.database,
                scheduler: scheduler,
                registry: registry,
                live: harness.live,
                access: AccessPolicy(),
                logger: harness.logger
            ),
            queries: Queries(
                database: harness.database,
                scheduler: scheduler,
                registry: registry,
                live: harness.live,
                instance: "test-instance",
                statistics: harness.statistics
            ),
            events: EventStreamer(
                database: harness.database,
                hub: EventHub(database: harness.database, logger: harness.logger),
                settings: { EventStreamSettings() },
                statistics: harness.statistics,
                batchProgress: { _ in nil }
            )
        ).register(on: router)
        try await Application(router: router).test(.router, body)
    }

    /// The `{"error": {"code", "message"}}` of a response.
    func error(_ response: TestResponse) throws -> ErrorResponse.Body {
        try JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: response.body)).error
    }

    @Test("a submit answers 201 with the job")
    func submitted() async throws {
        try await withAPI { client in
            let body = #"{"jobs": [{"image": "img", "command": ["true"]}]}"#
            try await client.execute(uri: APIPath.jobs, method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                let jobs = try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: response.body)).jobs
                #expect(jobs.count == 1 && jobs[0].state == .queued && jobs[0].position == 1)
            }
        }
    }

    @Test("bad JSON is 400 with the API's error shape")
    func badJSON() async throws {
        try await withAPI { client in
            try await client.execute(uri: APIPath.jobs, method: .post, body: ByteBuffer(string: "{not json")) {
                response in
                #expect(response.status == .badRequest)
                let problem = try error(response)
                #expect(problem.code == "invalid_spec")
            }
        }
    }

    @Test("a spec error is 400 and names the field")
    func badSpec() async throws {
        try await withAPI { client in
            let body = #"{"jobs": [{"image": "img", "gpus": -1}]}"#
            try await client.execute(uri: APIPath.jobs, method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let problem = try error(response)
                #expect(problem.message.hasPrefix("gpus"))
            }
        }
    }

    @Test("an unknown move target is 400 and names `to`")
    func badMove() async throws {
        try await withAPI { client in
            let body = #"{"to": "sideways"}"#
            try await client.execute(
                uri: APIPath.job("abcdefghjk", .move),
                method: .post,
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
                let problem = try error(response)
                #expect(problem.message == "to: must be top, bottom, before, after or position")
            }
        }
    }

    @Test("an unknown job is 404")
    func unknownJob() async throws {
        try await withAPI { client in
            try await client.execute(uri: APIPath.job("abcdefghjk"), method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try error(response)
                #expect(problem.code == "not_found")
            }
            try await client.execute(uri: APIPath.job("abcdefghjk", .cancel), method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("an illegal transition is 409")
    func illegalTransition() async throws {
        try await withAPI { client in
            let body = #"{"jobs": [{"image": "img"}]}"#
            let id = try await client.execute(uri: APIPath.jobs, method: .post, body: ByteBuffer(string: body)) {
                try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: $0.body)).jobs[0].id
            }
            try await client.execute(uri: APIPath.job(id, .cancel), method: .post) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: APIPath.job(id, .hold), method: .post) { response in
                #expect(response.status == .conflict)
                let problem = try error(response)
                #expect(problem.code == "invalid_state")
            }
        }
    }

    @Test("the event stream resumes after the Last-Event-ID header; a bad cursor is 400 naming `since`")
    func lastEventID() async throws {
        try await withAPI { client in
            let body = #"{"jobs": [{"image": "img"}, {"image": "img"}, {"image": "img"}]}"#
            try await client.execute(uri: APIPath.jobs, method: .post, body: ByteBuffer(string: body)) { _ in }
            var headers = HTTPFields()
            headers[HTTPField.Name("Last-Event-ID")!] = "1"
            try await client.execute(uri: APIPath.events, method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                var parser = ServerSentEventsParsing()
                #expect(parser.messages(String(buffer: response.body)).flatMap(\.seqs) == [2, 3])
            }
            try await client.execute(uri: APIPath.events + "?since=-4", method: .get) { response in
                #expect(response.status == .badRequest)
                let problem = try error(response)
                #expect(problem.message.hasPrefix("since: must be a sequence number"))
            }
        }
    }

    @Test("a body over 16 MiB is 413")
    func oversized() async throws {
        try await withAPI { client in
            let body = ByteBuffer(repeating: UInt8(ascii: " "), count: 16 * 1024 * 1024 + 1)
            try await client.execute(uri: APIPath.jobs, method: .post, body: body) { response in
                #expect(response.status == .contentTooLarge)
                let problem = try error(response)
                #expect(problem.code == "body_too_large")
            }
        }
    }

    @Test("an unknown host is 404 and lists the configured ones")
    func unknownHost() async throws {
        try await withAPI { client in
            try await client.execute(uri: APIPath.host("nowhere", .drain), method: .post) { response in
                #expect(response.status == .notFound)
                let problem = try error(response)
                #expect(problem.message == "host \"nowhere\" is not configured (hosts: local)")
            }
        }
    }
}
