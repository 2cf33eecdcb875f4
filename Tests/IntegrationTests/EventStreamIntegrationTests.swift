import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `cosmosctl events` against the real daemon: every event once, in order, across a daemon restart.
@Suite("Event stream on the real daemon", .serialized)
struct EventStreamIntegrationTests {
    /// The sequence numbers and types an NDJSON line of `events --json` covers (one, or an aggregate's events).
    static func covered(_ line: String) throws -> [(seq: Int, type: String, job: String?)] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let data = try #require(object["data"] as? [String: Any])
        let events = (data["events"] as? [[String: Any]]) ?? [data]
        return events.compactMap { event in
            guard let seq = event["seq"] as? Int, let type = event["type"] as? String else { return nil }
            return (seq, type, event["job_id"] as? String)
        }
    }

    @Test("a follower sees each job's life in order and every event exactly once, across a daemon restart")
    func followAcrossRestart() throws {
        try withDaemon { daemon in
            let output = daemon.directory.path + "/events.ndjson"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let follower = Process()
            follower.executableURL = URL(fileURLWithPath: DaemonHarness.binDirectory + "/cosmosctl")
            follower.arguments = ["--socket", daemon.socket, "events", "--follow", "--json"]
            follower.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            try follower.run()
            defer {
                if follower.isRunning { follower.terminate() }
                follower.waitUntilExit()
            }
            let read = { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

            let first = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "true"])
            #expect(try daemon.waitFinished([first])[0].state == .succeeded)
            try waitUntil("the follower sees the first job succeed", timeout: 30) {
                read().contains("\"job_id\":\"\(first)\"") && read().contains("job.succeeded")
            }
            try daemon.stop()
            try daemon.start()
            let second = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "exit 4"])
            #expect(try daemon.waitFinished([second])[0].state == .failed)
            try waitUntil("the follower, reconnected, sees the second job fail", timeout: 30) {
                try read().split(separator: "\n").flatMap { try Self.covered(String($0)) }
                    .contains { $0.job == second && $0.type == "job.failed" }
            }

            let seen = try read().split(separator: "\n").flatMap { try Self.covered(String($0)) }
            let all = try daemon.ctl(["events", "--json"]).stdout.split(separator: "\n")
                .flatMap { try Self.covered(String($0)) }
            #expect(seen.map(\.seq) == all.map(\.seq), "the follower got every event of the log, once, in order")
            #expect(Set(seen.map(\.seq)).count == seen.count)
            for (job, end) in [(first, "job.succeeded"), (second, "job.failed")] {
                let life = seen.filter { $0.job == job }.map(\.type)
                #expect(life == ["job.submitted", "job.claimed", "job.started", end], "\(job): \(life)")
            }
        }
    }

    @Test("a 10-job batch's batch.progress messages count up to 10/10; each job gives one batch.job_complete")
    func batchProgress() throws {
        try withDaemon(gpus: 3) { daemon in
            let output = daemon.directory.path + "/progress.ndjson"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let follower = Process()
            follower.executableURL = URL(fileURLWithPath: DaemonHarness.binDirectory + "/cosmosctl")
            follower.arguments = [
                "--socket", daemon.socket, "events", "--follow", "--json",
                "--type", "batch.progress", "--type", "batch.job_complete",
            ]
            follower.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            try follower.run()
            defer {
                if follower.isRunning { follower.terminate() }
                follower.waitUntilExit()
            }
            let lines = (0..<10).map { index in
                #"{"name": "item \#(index)", "image": "cosmos-test/busybox:latest", "command": ["sh", "-c", "sleep 0.5"]}"#
            }
            let file = daemon.directory.path + "/batch.jsonl"
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let batch = try daemon.ctlJSON(BatchView.self, ["batch", "create", "ten", "--file", file])
            let messages = {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
            let completed = { (message: [String: Any]) -> Int? in
                guard message["event"] as? String == "batch.progress" else { return nil }
                return (message["data"] as? [String: Any])?["completed"] as? Int
            }
            try waitUntil("batch.progress reaches 10/10", timeout: 120) {
                messages().compactMap(completed).last == 10
            }
            let counts = messages().compactMap(completed)
            #expect(counts == counts.sorted(), "progress only counts up: \(counts)")
            #expect(counts.count > 1, "progress arrived in steps: \(counts)")
            let completions = messages().filter { $0["event"] as? String == "batch.job_complete" }
                .compactMap { ($0["data"] as? [String: Any])?["job_id"] as? String }
            #expect(Set(completions).count == 10)
            #expect(messages().allSatisfy { ($0["data"] as? [String: Any])?["batch_id"] as? String == batch.id })
        }
    }

    @Test("logs --follow of 3 jobs prints all their lines, each prefixed with its job's name")
    func followSeveralLogs() throws {
        try withDaemon(gpus: 2) { daemon in
            let ids = try (0..<3).map { index in
                try daemon.submit([
                    "--image", "cosmos-test/busybox:latest", "--name", "shot-\(index)", "--", "sh", "-c",
                    "for i in 1 2 3; do echo line $i of \(index); sleep 0.2; done",
                ])
            }
            let result = daemon.ctl(["logs", "--follow"] + ids)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init).filter { !$0.contains("===") }
            for index in 0..<3 {
                for i in 1...3 { #expect(lines.contains("shot-\(index): line \(i) of \(index)"), "\(lines)") }
            }
            #expect(lines.count == 9, "\(result.stdout)")
            #expect(daemon.ctl(["logs"]).status != 0, "no job named")
        }
    }

    @Test("a filter by type and a cursor past the end; a bad type is refused naming the field")
    func filtersAndRefusals() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "true"])
            _ = try daemon.waitFinished([id])
            let started = daemon.ctl(["events", "--json", "--type", "job.started"]).stdout.split(separator: "\n")
            #expect(try started.flatMap { try Self.covered(String($0)) }.map(\.type) == ["job.started"])
            let bad = daemon.ctl(["events", "--type", "job.exploded"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("type: unknown event type \"job.exploded\""))
            let future = daemon.ctl(["events", "--json", "--since", "999999"]).stdout
            #expect(future.contains("\"event\":\"resync\""), "\(future)")
        }
    }
}
