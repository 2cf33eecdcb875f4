import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// `--after`, `--after-any` and their failures, against the real Docker engine.
@Suite("Dependencies against the real Docker engine", .serialized)
struct DependencyIntegrationTests {
    static let busybox = "cosmos-test/busybox:latest"

    @Test("B --after A starts only once A succeeded, though a GPU was free; its reason names A meanwhile")
    func afterSuccess() throws {
        try withDaemon(gpus: 2) { daemon in
            let a = try daemon.submit(["--image", Self.busybox, "--", "sh", "-c", "sleep 2"])
            let b = try daemon.submit(["--image", Self.busybox, "--after", a, "--", "true"])
            try waitUntil("A runs", timeout: 30) { try daemon.show(a).state == .running }
            let waiting = try daemon.show(b)
            #expect(waiting.state == .queued)
            #expect(waiting.pendingReason == "waiting for job \(a) (running)")
            #expect(waiting.after == [a])
            #expect(try daemon.show(a).dependents == [b])
            let jobs = try daemon.waitFinished([a, b], timeout: 60)
            #expect(jobs.map(\.state) == [.succeeded, .succeeded])
            let finishedA = try #require(jobs[0].finishedAt)
            let startedB = try #require(jobs[1].startedAt)
            #expect(startedB >= finishedA, "B started at \(startedB), before A finished at \(finishedA)")
        }
    }

    @Test("C --after a failing job fails with the dependency reason, and so does D --after C; --after-any runs")
    func failureCascades() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let f = try daemon.submit(["--image", Self.busybox, "--", "sh", "-c", "exit 3"])
            let c = try daemon.submit(["--image", Self.busybox, "--after", f, "--", "true"])
            let d = try daemon.submit(["--image", Self.busybox, "--after", c, "--", "true"])
            let e = try daemon.submit(["--image", Self.busybox, "--after-any", f, "--", "true"])
            #expect(daemon.ctl(["resume"]).status == 0)
            let jobs = try daemon.waitFinished([f, c, d, e], timeout: 60)
            #expect(jobs.map(\.state) == [.failed, .failed, .failed, .succeeded])
            #expect(jobs[1].reason == "dependency \(f) failed")
            #expect(jobs[2].reason == "dependency \(c) failed")
            #expect(jobs[1].attempts == 0 && jobs[2].attempts == 0)
            #expect(jobs[3].afterAny == [f])
            let retry = daemon.ctl(["retry", c])
            #expect(retry.status != 0)
            #expect(retry.stderr.contains("retry \(f) first"))
        }
    }

    @Test("an unknown, malformed or failed dependency is refused naming the field, and nothing is queued")
    func refusals() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let failed = try daemon.submit(["--image", Self.busybox, "--", "true"])
            _ = daemon.ctl(["cancel", failed])
            let cases: [([String], String)] = [
                (["--after", "zzzzzzzzzz"], "after[0]: no job with id zzzzzzzzzz"),
                (["--after", "nope"], "after[0]: \"nope\" is not a job id"),
                (["--after", failed], "after[0]: job \(failed) is cancelled, so this job could never start"),
                (["--after-any", "zzzzzzzzzz"], "after_any[0]: no job with id zzzzzzzzzz"),
            ]
            for (flags, message) in cases {
                let result = daemon.ctl(["submit", "--image", Self.busybox] + flags + ["--", "true"])
                #expect(result.status != 0, "\(flags)")
                #expect(result.stderr.contains(message), "\(flags): \(result.stderr)")
            }
            let file = daemon.directory.path + "/two.jsonl"
            try """
            {"image": "\(Self.busybox)"}
            {"image": "\(Self.busybox)", "after": ["zzzzzzzzzz"]}
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let result = daemon.ctl(["submit", "--file", file])
            #expect(result.stderr.contains("jobs[1].after[0]: no job with id zzzzzzzzzz"), "\(result.stderr)")
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).map(\.id) == [failed])
        }
    }

    @Test("a daemon restart keeps a waiting job waiting; it runs once its dependency is released and succeeds")
    func restartKeepsWaiting() throws {
        try withDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let a = try daemon.submit(["--image", Self.busybox, "--", "true"])
            #expect(daemon.ctl(["hold", a]).status == 0)
            let b = try daemon.submit(["--image", Self.busybox, "--after", a, "--", "true"])
            #expect(daemon.ctl(["resume"]).status == 0)
            _ = try daemon.stop()
            try daemon.start()
            let waiting = try daemon.show(b)
            #expect(waiting.state == .queued)
            #expect(waiting.pendingReason == "waiting for job \(a) (held)")
            #expect(waiting.attempts == 0)
            #expect(daemon.ctl(["release", a]).status == 0)
            let jobs = try daemon.waitFinished([a, b], timeout: 60)
            #expect(jobs.map(\.state) == [.succeeded, .succeeded])
        }
    }
}
