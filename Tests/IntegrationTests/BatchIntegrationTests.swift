import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// Named batches end to end: the real daemon and cosmosctl on the real engine.
@Suite("Named batches", .serialized)
struct BatchIntegrationTests {
    /// JSON Lines of `count` jobs; each sleeps `seconds` and writes an output.
    func jobsFile(_ daemon: DaemonHarness, count: Int, seconds: Double) throws -> String {
        let lines = (0..<count).map { index in
            """
            {"name": "item \(index)", "image": "cosmos-test/busybox:latest", "command": ["sh", "-c", \
            "sleep \(seconds); mkdir -p /cosmos/out; echo \(index) > /cosmos/out/item.txt"]}
            """
        }
        let path = daemon.directory.path + "/jobs-\(count).jsonl"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func create(_ daemon: DaemonHarness, _ name: String, file: String) throws -> BatchView {
        try daemon.ctlJSON(BatchView.self, ["batch", "create", name, "--file", file])
    }

    func show(_ daemon: DaemonHarness, _ id: String) throws -> BatchView {
        try daemon.ctlJSON(BatchView.self, ["batch", "show", id])
    }

    /// The batch's counters must equal a count of its jobs' states, and add up to the total.
    func checkCounts(_ batch: BatchView) {
        let jobs = batch.jobs ?? []
        let count = { (states: Set<JobState>) in jobs.filter { states.contains($0.state) }.count }
        #expect(batch.total == jobs.count)
        #expect(batch.completed == count([.succeeded]))
        #expect(batch.failed == count([.failed]))
        #expect(batch.running == count([.starting, .running]))
        #expect(batch.queued == count([.queued, .held]))
        #expect(batch.cancelled == count([.cancelled]))
        #expect(batch.completed + batch.failed + batch.running + batch.queued + batch.cancelled == batch.total)
    }

    @Test("a 10-job batch runs to completed; its counts are right at every sampled step; ETA becomes known")
    func tenJobs() throws {
        try withDaemon(gpus: 3) { daemon in
            let created = try create(daemon, "shot list", file: try jobsFile(daemon, count: 10, seconds: 1))
            #expect(created.total == 10 && created.status == .pending && created.etaSeconds == nil)
            var samples = 0
            var sawRunning = false
            var lastDone = 0
            try waitUntil("the batch completes", timeout: 180) {
                let batch = try show(daemon, created.id)
                samples += 1
                checkCounts(batch)
                sawRunning = sawRunning || batch.status == .running
                let done = batch.completed + batch.failed + batch.cancelled
                #expect(done >= lastDone, "progress went backwards")
                lastDone = done
                #expect(batch.percent == done * 100 / 10)
                if batch.completed > 0, batch.queued > 0 { #expect(batch.etaSeconds != nil) }
                return batch.status == .completed
            }
            #expect(samples > 3 && sawRunning)
            let done = try show(daemon, created.id)
            #expect(done.completed == 10 && done.percent == 100 && done.etaSeconds == 0)
            #expect(done.jobs?.map(\.outputs) == Array(repeating: ["item.txt"], count: 10))
            let listed = try daemon.ctlJSON([BatchView].self, ["batch", "list", "--status", "completed"])
            #expect(listed.map(\.id) == [created.id] && listed[0].jobs == nil)
            let watch = daemon.ctl(["batch", "show", created.id, "--watch"])
            #expect(
                watch.status == 0 && watch.stdout.contains("[████████████████████] 100% (10/10)"),
                "\(watch.stdout)"
            )
            #expect(watch.stdout.contains("✓ item 9"))
            #expect(daemon.ctl(["batch", "delete", created.id]).status == 0)
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).isEmpty)
        }
    }

    @Test("pause mid-way holds the rest with the reason shown; resume finishes the batch")
    func pauseResume() throws {
        try withDaemon(gpus: 1) { daemon in
            let created = try create(daemon, "variations", file: try jobsFile(daemon, count: 5, seconds: 1))
            try waitUntil("one job has finished", timeout: 60) { try show(daemon, created.id).completed >= 1 }
            let paused = try daemon.ctlJSON(BatchView.self, ["batch", "pause", created.id])
            #expect(paused.status == .paused)
            try waitUntil("nothing of the batch runs", timeout: 30) { try show(daemon, created.id).running == 0 }
            let held = try show(daemon, created.id)
            checkCounts(held)
            #expect(held.held > 0 && held.queued == held.held)
            for job in held.jobs ?? [] where job.state == .held {
                #expect(job.pendingReason == "held (batch \(created.id) paused)")
            }
            let frozen = held.completed
            // Paused: no new job of the batch starts, however long we look.
            let other = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "true"])
            _ = try daemon.waitFinished([other], timeout: 60)
            #expect(try show(daemon, created.id).completed == frozen)
            #expect(try daemon.ctlJSON(BatchView.self, ["batch", "resume", created.id]).status != .paused)
            try waitUntil("the batch completes", timeout: 120) { try show(daemon, created.id).status == .completed }
        }
    }

    @Test("cancel cancels what is left; --running stops the running job too")
    func cancel() throws {
        try withDaemon(gpus: 1) { daemon in
            let created = try create(daemon, "doomed", file: try jobsFile(daemon, count: 4, seconds: 30))
            try waitUntil("the first job runs", timeout: 60) { try show(daemon, created.id).running == 1 }
            let cancelled = try daemon.ctlJSON(BatchView.self, ["batch", "cancel", created.id])
            #expect(cancelled.status == .cancelled && cancelled.cancelled == 3 && cancelled.running == 1)
            _ = try daemon.ctlJSON(BatchView.self, ["batch", "cancel", created.id, "--running"])
            try waitUntil("nothing runs", timeout: 30) { try show(daemon, created.id).running == 0 }
            let final = try show(daemon, created.id)
            checkCounts(final)
            #expect(final.cancelled == 4 && final.completed == 0)
        }
    }

    @Test("batch create with one invalid spec among 20: nothing is created; the error names item 13's field")
    func allOrNothing() throws {
        try withDaemon { daemon in
            var lines = (0..<20).map { "{\"name\": \"ok \($0)\", \"image\": \"cosmos-test/busybox:latest\"}" }
            lines[13] = "{\"name\": \"bad\", \"image\": \"cosmos-test/busybox:latest\", \"gpus\": -1}"
            let path = daemon.directory.path + "/bad.jsonl"
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let result = daemon.ctl(["batch", "create", "broken", "--file", path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("items[13].gpus"), "\(result.stderr)")
            #expect(try daemon.ctlJSON([BatchView].self, ["batch", "list"]).isEmpty)
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).isEmpty)
            #expect(daemon.ctl(["batch", "show", "nosuchbatc"]).status != 0)
        }
    }
}
