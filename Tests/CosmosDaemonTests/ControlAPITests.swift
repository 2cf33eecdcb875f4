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

/// A request context whose caller is this test process (the socket's SO_PEERCRED is not there in process), or the
/// `uid:gid` a test names in the `x-test-caller` header.
struct TestControlContext: ControlContext {
    var coreContext: CoreRequestContextStorage
    /// The caller a test named; nil: this process.
    var named: PeerCredentials?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    func caller() async throws -> PeerCredentials {
        named ?? PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    }
}

/// Sets a test request's caller from its `x-test-caller: uid:gid` header.
struct TestCallerMiddleware: RouterMiddleware {
    typealias Context = TestControlContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        if let text = request.headers[HTTPField.Name("x-test-caller")!] {
            let parts = text.split(separator: ":").compactMap { UInt32($0) }
            // No process has pid 0 in /proc: the caller's groups are its gid (its user is in no group database).
            context.named = PeerCredentials(pid: 0, uid: parts[0], gid: parts[1])
        }
        return try await next(request, context)
    }
}

/// The control API in process, through Hummingbird's router test framework: status codes and error shapes.
@Suite("Control API error mapping")
struct ControlAPITests {
    /// Runs `body` against the control API over a fresh store and a fake engine.
    func withAPI(
        access settings: AccessSettings = AccessSettings(),
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let harness = try RunnerHarness()
        // The admin group is gid 4242 here, whatever the machine's group database says.
        let access = AccessPolicy(settings: { settings }, groupID: { $0 == settings.adminGroup ? 4242 : nil })
        let scheduler = harness.scheduler()
        let registry = HostRegistry(hosts: ["local"], drained: [])
        let router = Router(context: TestControlContext.self)
        router.add(middleware: TestCallerMiddleware())
        ControlAPI(
            commands: Commands(
                database: harness.database,
                scheduler: scheduler,
                registry: registry,
                live: harness.live,
                access: access,
                logger: harness.logger
            ),
            queries: Queries(
                database: harness.database,
                scheduler: scheduler,
                registry: registry,
                live: harness.live,
                instance: "test-instance",
                statistics: harness.statistics,
                access: access
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

    /// A request as user `uid` (group `gid`).
    func headers(_ uid: UInt32, _ gid: UInt32 = 100) -> HTTPFields {
        var fields = HTTPFields()
        fields[HTTPField.Name("x-test-caller")!] = "\(uid):\(gid)"
        return fields
    }

    /// Submits one job as `uid`; returns its id.
    func submit(_ client: some TestClientProtocol, as uid: UInt32) async throws -> String {
        let body = ByteBuffer(string: #"{"jobs": [{"image": "img", "command": ["true"]}]}"#)
        return try await client.execute(uri: APIPath.jobs, method: .post, headers: headers(uid), body: body) {
            try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: $0.body)).jobs[0].id
        }
    }

    @Test("another user's cancel is 403 forbidden, says who may, and leaves the job queued")
    func forbidden() async throws {
        try await withAPI { client in
            let id = try await submit(client, as: 1001)
            try await client.execute(uri: APIPath.job(id, .cancel), method: .post, headers: headers(1002)) {
                #expect($0.status == .forbidden)
                let problem = try error($0)
                #expect(problem.code == "forbidden")
                #expect(
                    problem.message
                        == "job \(id) belongs to uid 1001: only its owner or an admin (group cosmos-admin) may cancel it"
                )
            }
            try await client.execute(uri: APIPath.job(id), method: .get, headers: headers(1002)) {
                let job = try JSONDecoder().decode(JobView.self, from: Data(buffer: $0.body))
                #expect(job.state == .queued)
            }
            // The admin group's member may.
            try await client.execute(uri: APIPath.job(id, .cancel), method: .post, headers: headers(2001, 4242)) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test("with private, another user's list leaves the job out and its show is 404; an admin sees it")
    func privateMode() async throws {
        var settings = AccessSettings()
        settings.privateData = true
        try await withAPI(access: settings) { client in
            let id = try await submit(client, as: 1001)
            let mine = try await submit(client, as: 1002)
            try await client.execute(uri: APIPath.jobs, method: .get, headers: headers(1002)) {
                let jobs = try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: $0.body)).jobs
                // Positions stay places in the whole queue.
                #expect(jobs.map(\.id) == [mine] && jobs[0].position == 2)
            }
            try await client.execute(uri: APIPath.job(id), method: .get, headers: headers(1002)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: APIPath.job(id, .logs), method: .get, headers: headers(1002)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: APIPath.jobs, method: .get, headers: headers(2001, 4242)) {
                let jobs = try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: $0.body)).jobs
                #expect(jobs.map(\.id) == [id, mine])
            }
        }
    }
}
