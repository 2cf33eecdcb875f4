import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Crash safety against the real engine: crash at every step, restart, and check that every job ends
/// once, no (job, attempt) ever had two containers, nothing is left behind and the database is intact.
@Suite("Crash safety", .serialized)
struct CrashSafetyIntegrationTests {
    static let fastReconcile = "orphan_grace_seconds = 1\nreconcile_interval_seconds = 2"
    static let script =
        "for i in 1 2 3 4 5 6; do echo line-$i; sleep 0.15; done; mkdir -p /cosmos/out; echo ok > /cosmos/out/r.txt"

    /// Container names created for this daemon's instance since `since`, from the engine's events.
    static func createdContainers(instance: String, since: Date) -> [String] {
        let result = DaemonHarness.docker([
            "events", "--since", String(Int(since.timeIntervalSince1970) - 1), "--until",
            String(Int(Date().timeIntervalSince1970) + 1),
            "--filter", "label=cosmos.instance=\(instance)", "--filter", "event=create", "--format",
            "{{.Actor.Attributes.name}}",
        ])
        return result.stdout.split(separator: "\n").map(String.init)
    }

    static func remainingContainers(instance: String) -> [String] {
        DaemonHarness.docker(["ps", "-aq", "--filter", "label=cosmos.instance=\(instance)"]).stdout
            .split(separator: "\n").map(String.init)
    }

    @Test(
        "crash at each step, restart, everything finishes exactly once",
        arguments: [
            "after-claim", "after-create", "after-start", "while-waiting", "after-exit",
        ],
        [1, 2]
    )
    func faultMatrix(point: String, round: Int) throws {
        let harness = try DaemonHarness(daemonExtra: Self.fastReconcile)
        defer { harness.tearDown() }
        let started = Date()
        try harness.start(environment: ["COSMOS_FAULT": point])
        let instance = try #require(harness.instance)
        // Queue the jobs while paused, so the crash comes after every submit has been answered.
        #expect(harness.ctl(["pause"]).status == 0)
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(try harness.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", Self.script]))
        }
        _ = harness.ctl(["resume"])  // its answer may be lost when the crash comes at once
        try waitUntil("the daemon crashes at \(point)", timeout: 60) { harness.process?.isRunning == false }
        #expect(harness.process?.terminationStatus == 86)
        #expect(harness.daemonLog().contains("COSMOS_FAULT=\(point)"))

        try harness.start()
        let jobs = try harness.waitFinished(ids, timeout: 120)
        for job in jobs {
            #expect(job.state == .succeeded, "\(job.id): \(job.state) \(job.reason ?? "")")
            #expect(job.outputs == ["r.txt"])
            let logs = harness.ctl(["logs", job.id]).stdout
            for line in 1...6 {
                #expect(
                    logs.components(separatedBy: "line-\(line)\n").count == 2,
                    "line-\(line) in \(job.id):\n\(logs)"
                )
            }
        }
        let created = Self.createdContainers(instance: instance, since: started)
        #expect(Set(created).count == created.count, "a (job, attempt) had two containers: \(created)")
        try waitUntil("no container of the test remains", timeout: 30) {
            Self.remainingContainers(instance: instance).isEmpty
        }
        try harness.stop()
        let database = try AppDatabase(path: harness.stateDirectory + "/cosmos.db")
        let check = try runBlocking { try await database.integrityCheck() }
        #expect(check == ["ok"])
    }

    @Test("an unknown labelled container is removed after the grace period; other instances' are not")
    func orphanRemoved() throws {
        try withDaemon(daemonExtra: Self.fastReconcile) { daemon in
            let instance = try #require(daemon.instance)
            let mine = DaemonHarness.docker([
                "run", "-d", "--label", "cosmos.instance=\(instance)", "--label", "cosmos.job=zzzzzzzzzz",
                "--label", "cosmos.attempt=1", "cosmos-test/busybox:latest", "sleep", "300",
            ]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let theirs = DaemonHarness.docker([
                "run", "-d", "--label", "cosmos.instance=someone-else", "--label", "cosmos.job=zzzzzzzzzz",
                "--label", "cosmos.attempt=1", "cosmos-test/busybox:latest", "sleep", "300",
            ]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            defer { _ = DaemonHarness.docker(["rm", "-f", theirs]) }
            #expect(!mine.isEmpty && !theirs.isEmpty)
            try waitUntil("the orphan is removed", timeout: 30) { DaemonHarness.docker(["inspect", mine]).status != 0 }
            #expect(daemon.daemonLog().contains("removed orphan container"))
            #expect(DaemonHarness.docker(["inspect", theirs]).status == 0)
        }
    }

    @Test("a job over its memory limit ends failed with reason oom")
    func oomKill() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", "cosmos-test/busybox:latest", "--memory", "16m", "--", "sh", "-c",
                "head -c 200m /dev/zero | tail",
            ])
            let job = try daemon.waitFinished([id], timeout: 60)[0]
            #expect(job.state == .failed)
            #expect(job.reason == "oom")
        }
    }

    @Test("SIGTERM with 3 running jobs: exits within the bound, containers keep running, the next start adopts them")
    func sigtermWithThreeRunning() throws {
        try withDaemon(gpus: 3, daemonExtra: Self.fastReconcile) { daemon in
            let instance = try #require(daemon.instance)
            let started = Date()
            var ids: [String] = []
            for _ in 0..<3 {
                ids.append(
                    try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "sleep 4; echo done"])
                )
            }
            try waitUntil("all three run", timeout: 60) { try ids.allSatisfy { try daemon.show($0).state == .running } }
            let elapsed = try daemon.stop()
            #expect(elapsed < .seconds(6))
            #expect(Self.remainingContainers(instance: instance).count == 3)
            try daemon.start()
            let jobs = try daemon.waitFinished(ids, timeout: 60)
            #expect(jobs.allSatisfy { $0.state == .succeeded && $0.attempts == 1 })
            #expect(Self.createdContainers(instance: instance, since: started).count == 3)
        }
    }
}

/// Runs an async body from synchronous test code.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let semaphore = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result<T, any Error>?
    Task {
        do { result = .success(try await body()) } catch { result = .failure(error) }
        semaphore.signal()
    }
    semaphore.wait()
    return try result!.get()
}
