import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import CosmosDaemon

/// The dashboard listener in process, through Hummingbird's router test framework: login, sessions, CSRF, the
/// same rights as the socket, and the pages drawn from the store.
@Suite("Web dashboard")
struct WebDashboardTests {
    /// What a test drives: the client, the store, the commands (to issue logins as the socket does).
    struct Web {
        let client: any TestClientProtocol
        let database: AppDatabase
        let commands: Commands

        /// A session for `uid`, made as `cosmosctl web` and a browser make it; returns the cookie and CSRF token.
        func login(uid: UInt32) async throws -> (cookie: String, csrf: String) {
            let token = WebTokens.random()
            try await database.createWebLogin(token: token, uid: uid, expiresAt: Date().addingTimeInterval(60))
            let cookie = try await client.execute(uri: "/login?token=\(token)", method: .get) { response in
                #expect(response.status == .seeOther)
                let header = response.headers[.setCookie] ?? ""
                return String(header.split(separator: ";")[0])
            }
            let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) {
                String(buffer: $0.body)
            }
            let csrf = try #require(page.firstMatch(of: /name="csrf-token" content="([0-9a-f]+)"/)).1
            return (cookie, String(csrf))
        }
    }

    /// Runs `body` against the dashboard router over a fresh store and a fake engine; `[web] metrics = login`.
    func withWeb(_ body: @Sendable (Web) async throws -> Void) async throws {
        let harness = try RunnerHarness()
        var configuration = harness.configuration
        configuration.web.listen = WebAddress("127.0.0.1:8780")
        configuration.web.metrics = .login
        let live = LiveConfiguration(configuration, path: nil)
        // The admin group is gid 4242 here; uid 4321 is an ordinary user.
        let settings = AccessSettings()
        let access = AccessPolicy(settings: { settings }, groupID: { $0 == settings.adminGroup ? 4242 : nil })
        let scheduler = harness.scheduler()
        let registry = HostRegistry(hosts: ["local"], drained: [])
        let commands = Commands(
            database: harness.database,
            scheduler: scheduler,
            registry: registry,
            live: live,
            access: access,
            logger: harness.logger
        )
        let queries = Queries(
            database: harness.database,
            scheduler: scheduler,
            registry: registry,
            live: live,
            instance: "test-instance",
            statistics: harness.statistics,
            access: access
        )
        let api = ControlAPI(
            commands: commands,
            queries: queries,
            events: EventStreamer(
                database: harness.database,
                hub: EventHub(database: harness.database, logger: harness.logger),
                settings: { EventStreamSettings() },
                statistics: harness.statistics,
                batchProgress: { _ in nil }
            )
        )
        let router = try WebServer.router(
            database: harness.database,
            queries: queries,
            api: api,
            metrics: DaemonMetrics(),
            live: live
        )
        try await Application(router: router).test(.router) { client in
            try await body(Web(client: client, database: harness.database, commands: commands))
        }
    }

    @Test("without a session a page says to run cosmosctl web, and the API answers 401")
    func noSession() async throws {
        try await withWeb { web in
            try await web.client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("cosmosctl web"))
            }
            try await web.client.execute(uri: APIPath.jobs, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("\"no_session\""))
            }
            try await web.client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await web.client.execute(uri: "/assets/dashboard.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/javascript") == true)
            }
        }
    }

    @Test("a login token opens one session with a strict HttpOnly cookie, and only once")
    func loginOnce() async throws {
        try await withWeb { web in
            let caller = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
            let login = try await web.commands.issueWebLogin(by: caller)
            #expect(login.url.hasPrefix("http://127.0.0.1:8780/login?token="))
            let path = String(login.url.dropFirst("http://127.0.0.1:8780".count))
            try await web.client.execute(uri: path, method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/")
                let cookie = response.headers[.setCookie] ?? ""
                #expect(cookie.hasPrefix("cosmos_session="))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Strict"))
                #expect(cookie.contains("Max-Age=43200"))
            }
            try await web.client.execute(uri: path, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("used already"))
            }
        }
    }

    @Test("an expired token opens nothing")
    func expiredToken() async throws {
        try await withWeb { web in
            try await web.database.createWebLogin(token: "expired", uid: 0, expiresAt: Date().addingTimeInterval(-1))
            try await web.client.execute(uri: "/login?token=expired", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
        }
    }

    @Test("the queue page lists jobs in queue order with positions; moving to the top changes it")
    func queueOrder() async throws {
        try await withWeb { web in
            let caller = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
            let jobs = try await web.commands.submit(
                (1...3).map {
                    .object([
                        "image": .string("img"), "command": .array([.string("true")]), "name": .string("job-\($0)"),
                    ])
                },
                by: caller
            )
            let session = try await web.login(uid: getuid())
            func order() async throws -> [String] {
                try await web.client.execute(uri: "/?fragment=1", method: .get, headers: [.cookie: session.cookie]) {
                    response in
                    let html = String(buffer: response.body)
                    #expect(!html.contains("<html"))  // the fragment alone
                    return html.matches(of: /<td class="pos">(\d+)<\/td><td><a href="\/jobs\/(\w+)">/).map {
                        String($0.2)
                    }
                }
            }
            #expect(try await order() == jobs.map(\.job.id))
            try await web.client.execute(
                uri: APIPath.job(jobs[2].job.id, .move),
                method: .post,
                headers: [
                    .cookie: session.cookie, .contentType: "application/json",
                    WebAccessMiddleware.csrfHeader: session.csrf,
                ],
                body: ByteBuffer(string: #"{"to":"top"}"#)
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(try await order() == [jobs[2], jobs[0], jobs[1]].map(\.job.id))
        }
    }

    @Test("a state-changing request without the session's CSRF token is 403 and changes nothing")
    func csrf() async throws {
        try await withWeb { web in
            let session = try await web.login(uid: getuid())
            for token in [nil, "0000"] {
                var headers: HTTPFields = [.cookie: session.cookie]
                if let token { headers[WebAccessMiddleware.csrfHeader] = token }
                try await web.client.execute(uri: APIPath.pause, method: .post, headers: headers) { response in
                    #expect(response.status == .forbidden)
                    #expect(String(buffer: response.body).contains("\"csrf\""))
                }
            }
            #expect(try await web.database.isPaused() == false)
        }
    }

    @Test("a user who is not an admin sees no pause switch, and their forged pause is refused with 403")
    func nonAdmin() async throws {
        try await withWeb { web in
            let user = try await web.login(uid: 4321)
            try await web.client.execute(uri: "/", method: .get, headers: [.cookie: user.cookie]) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(!html.contains("pause-switch"))
                #expect(html.contains("Queue running"))
            }
            try await web.client.execute(
                uri: APIPath.pause,
                method: .post,
                headers: [.cookie: user.cookie, WebAccessMiddleware.csrfHeader: user.csrf]
            ) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("\"forbidden\""))
            }
            #expect(try await web.database.isPaused() == false)
            let admin = try await web.login(uid: 0)
            try await web.client.execute(uri: "/", method: .get, headers: [.cookie: admin.cookie]) { response in
                #expect(String(buffer: response.body).contains("pause-switch"))
            }
        }
    }

    @Test("every page renders for a session, and the smart-batch panel shows only while paused")
    func pages() async throws {
        try await withWeb { web in
            let session = try await web.login(uid: 0)
            for path in ["/", "/batches", "/smart-batch", "/hosts", "/activity"] {
                try await web.client.execute(uri: path, method: .get, headers: [.cookie: session.cookie]) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                }
            }
            func panel() async throws -> Bool {
                try await web.client.execute(uri: "/smart-batch", method: .get, headers: [.cookie: session.cookie]) {
                    String(buffer: $0.body).contains("id=\"smart-batch-panel\"")
                }
            }
            #expect(try await panel() == false)
            try await web.database.setPaused(true, byUID: 0)
            #expect(try await panel() == true)
        }
    }

    @Test("every metric family has help text, the cosmos_ prefix, and no job id label")
    func metricNames() async throws {
        let metrics = DaemonMetrics()
        metrics.prime(hosts: ["local"])
        metrics.update(
            .init(counts: [:], queued: 0, oldestQueuedAge: 0, hosts: [], paused: false, lastSpeedup: nil)
        )
        let text = metrics.exposition()
        let types = text.matches(of: /# TYPE (\S+) (\S+)/).map { (String($0.1), String($0.2)) }
        #expect(types.count == DaemonMetrics.Name.help.count - 2)  // gpus and gpus_busy need a host
        for (name, type) in types {
            #expect(name.hasPrefix("cosmos_"))
            #expect(text.contains("# HELP \(name) "), "\(name)")
            #expect((type == "counter") == name.hasSuffix("_total"), "\(name)")
        }
        #expect(!text.contains("job=") && !text.contains("job_id="))
    }
}
