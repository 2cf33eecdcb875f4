import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// Smart batching on the real daemon and engine, with the fake model's load and per-item times.
@Suite("Smart batching", .serialized)
struct SmartBatchIntegrationTests {
    static let image = "cosmos-test/fake-model:latest"

    /// One job spec line for the fake model.
    func line(
        _ name: String,
        _ controls: [String: Double],
        env: [String: String] = ["FAKE_LOAD_SECONDS": "1", "FAKE_ITEM_SECONDS": "0.2"],
        memory: String? = nil,
        inputs: [String] = []
    ) -> String {
        let controlsJSON = controls.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }
        let envJSON = env.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }
        var fields = [
            "\"name\": \"\(name)\"", "\"image\": \"\(Self.image)\"", "\"prompt\": \"a robot, \(name)\"",
            "\"controls\": {\(controlsJSON.joined(separator: ", "))}", "\"env\": {\(envJSON.joined(separator: ", "))}",
        ]
        if let memory { fields.append("\"memory\": \"\(memory)\"") }
        if !inputs.isEmpty { fields.append("\"inputs\": [\(inputs.map { "\"\($0)\"" }.joined(separator: ", "))]") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Submits the lines as single jobs; returns their ids in order.
    func submit(_ daemon: DaemonHarness, _ lines: [String]) throws -> [String] {
        let path = daemon.directory.path + "/jobs-\(UUID().uuidString.prefix(6)).jsonl"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return try daemon.ctlJSON([JobView].self, ["submit", "--file", path]).map(\.id)
    }

    /// 12 jobs of 3 control signatures, interleaved: 8 (edge), 2 (depth, edge), 2 (depth).
    func twelve() -> [String] {
        (0..<12).map { index in
            switch index % 6 {
            case 1: line("ed\(index)", ["edge": 0.5, "depth": 0.3])
            case 4: line("d\(index)", ["depth": 0.7, "seg": 0])
            default: line("e\(index)", ["edge": 0.4 + Double(index) / 100])
            }
        }
    }

    func pause(_ daemon: DaemonHarness) throws {
        let paused = daemon.ctl(["pause"])
        guard paused.status == 0 else { throw HarnessError.command("pause", paused.status, paused.stderr) }
    }

    /// Executes the stored plan, waits for its runs, and checks each ran in one container that loaded once.
    func executeAndFinish(_ daemon: DaemonHarness, jobs: [String]) throws -> SmartBatchExecutedView {
        let executed = try daemon.ctlJSON(SmartBatchExecutedView.self, ["smart-batch", "execute", "--yes"])
        #expect(executed.resumed && executed.jobs == jobs.count)
        let runs = try daemon.waitFinished(executed.runs, timeout: 180)
        #expect(runs.allSatisfy { $0.state == .succeeded && $0.kind == "batch" && $0.attempts == 1 })
        for run in runs {
            let logs = daemon.ctl(["logs", run.id]).stdout
            #expect(logs.components(separatedBy: "fake-model: model loaded").count == 2, "\(run.id): \(logs)")
        }
        let children = try jobs.map { try daemon.show($0) }
        #expect(children.allSatisfy { $0.state == .succeeded && $0.outputs == ["video.mp4"] })
        #expect(Set(children.compactMap(\.parentId)) == Set(executed.runs), "the same ids, now items of the runs")
        for child in children {
            let video = daemon.stateDirectory + "/outputs/\(child.id)/video.mp4"
            let content = (try? String(contentsOfFile: video, encoding: .utf8)) ?? ""
            #expect(content.contains("job_id=\(child.id)"), "\(video): \(content)")
        }
        return executed
    }

    @Test("strict: 12 jobs of 3 signatures form their groups, each run loads the model once, measured speedup > 1")
    func strict() throws {
        try withDaemon(gpus: 2) { daemon in
            try pause(daemon)
            let ids = try submit(daemon, twelve())
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            #expect(plan.mode == .strict && !plan.stale && plan.jobsBefore == 12 && plan.runsAfter == 3)
            let edge = ids.indices.filter { ![1, 4].contains($0 % 6) }.map { ids[$0] }
            let edgeDepth = [ids[1], ids[7]]
            let depth = [ids[4], ids[10]]
            #expect(plan.groups.map(\.jobIds) == [edge, edgeDepth, depth])
            #expect(plan.groups.map(\.controls) == [["edge"], ["depth", "edge"], ["depth"]])
            #expect(plan.groups.map(\.limit) == [8, 4, 8] && plan.excluded.isEmpty)
            #expect(plan.estimate == "default" && plan.groups.allSatisfy { $0.expectedSpeedup > 1 })
            let preview = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "preview"])
            #expect(preview == plan, "preview shows the stored analysis")
            #expect(
                try daemon.ctlJSON([JobView].self, ["list"]).allSatisfy {
                    $0.state == .queued && $0.kind == "inference"
                }
            )

            let executed = try executeAndFinish(daemon, jobs: ids)
            #expect(executed.runs.count == 3 && executed.planId == plan.id)
            let report = try daemon.ctlJSON(SmartBatchReportView.self, ["smart-batch", "report"])
            #expect(report.planId == plan.id && report.failedItems == 0 && report.runs.count == 3)
            #expect((report.measuredSpeedup ?? 0) > 1, "measured \(String(describing: report.measuredSpeedup))")
            #expect(report.runs.allSatisfy { ($0.measuredSeconds ?? 0) > 0 && $0.aloneSeconds > 0 })
            let model = try daemon.ctlJSON([CostModelView].self, ["cost-model"])
            #expect(Set(model.map(\.controls)) == [["edge"], ["depth", "edge"], ["depth"]])
            let human = daemon.ctl(["smart-batch", "report"])
            #expect(human.status == 0 && human.stdout.contains("measured"), "\(human.stdout)")
        }
    }

    @Test("mixed: the same jobs form fewer, larger runs within the limits of their master controls")
    func mixed() throws {
        try withDaemon(gpus: 2) { daemon in
            try pause(daemon)
            let ids = try submit(daemon, twelve())
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze", "--mixed"])
            #expect(plan.mode == .mixed && plan.runsAfter == 2, "strict makes 3")
            #expect(plan.groups.map(\.controls) == [["edge"], ["depth", "edge"]])
            #expect(plan.groups.map(\.size) == [8, 4] && plan.groups.allSatisfy { $0.size <= $0.limit })
            #expect(plan.groups[1].jobIds == [ids[1], ids[4], ids[7], ids[10]])
            _ = try executeAndFinish(daemon, jobs: ids)
        }
    }

    @Test("analyze is refused while the queue runs; nothing is stored")
    func notPaused() throws {
        try withDaemon { daemon in
            let refused = daemon.ctl(["smart-batch", "analyze"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("smart batching needs a paused queue: run cosmosctl pause first"))
            let preview = daemon.ctl(["smart-batch", "preview"])
            #expect(preview.status != 0 && preview.stderr.contains("smart-batch analyze first"), "\(preview.stderr)")
        }
    }

    @Test("a submit after analyze makes execute refuse with exit 3, and the queue is unchanged")
    func stale() throws {
        try withDaemon { daemon in
            try pause(daemon)
            let ids = try submit(daemon, [line("a", ["edge": 1]), line("b", ["edge": 1])])
            _ = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            let late = try submit(daemon, [line("late", ["edge": 1])])
            let preview = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "preview"])
            #expect(preview.stale && preview.changes?.contains(late[0]) == true)
            let refused = daemon.ctl(["smart-batch", "execute", "--yes"])
            #expect(refused.status == 3, "\(refused.status): \(refused.stderr)")
            #expect(refused.stderr.contains("stale") && refused.stderr.contains("nothing was changed"))
            let jobs = try daemon.ctlJSON([JobView].self, ["list"])
            #expect(jobs.map(\.id) == ids + late && jobs.allSatisfy { $0.kind == "inference" && $0.parentId == nil })
            #expect(try daemon.ctlJSON(StatusView.self, ["status"]).paused, "a refused execute does not resume")
        }
    }

    @Test("on a terminal execute asks first: no leaves the queue as it was, yes executes")
    func confirmation() throws {
        try withDaemon { daemon in
            try pause(daemon)
            let ids = try submit(daemon, [line("a", ["edge": 1]), line("b", ["edge": 1])])
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            // script(1) runs cosmosctl on a pseudo-terminal and types our answer into it.
            let command = [
                DaemonHarness.binDirectory + "/cosmosctl", "--socket", daemon.socket, "smart-batch", "execute",
                "--keep-paused",
            ].joined(separator: " ")
            let declined = DaemonHarness.run("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: "n\n")
            #expect(declined.status != 0, "\(declined.stdout)")
            #expect(declined.stdout.contains("execute \(plan.id): 2 jobs into 1 runs? [y/N]"), "\(declined.stdout)")
            #expect(declined.stdout.contains("not executed"), "\(declined.stdout)")
            #expect(
                try daemon.ctlJSON([JobView].self, ["list"]).allSatisfy { $0.parentId == nil && $0.kind == "inference" }
            )

            let accepted = DaemonHarness.run("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: "y\n")
            #expect(accepted.status == 0 && accepted.stdout.contains("executed \(plan.id)"), "\(accepted.stdout)")
            #expect(accepted.stdout.contains("queue still paused"), "--keep-paused: \(accepted.stdout)")
            #expect(try ids.map { try daemon.show($0).parentId }.allSatisfy { $0 != nil })
            #expect(try daemon.ctlJSON(StatusView.self, ["status"]).paused)
        }
    }

    @Test("a daemon restart between analyze and execute keeps the analysis")
    func restart() throws {
        try withDaemon { daemon in
            try pause(daemon)
            let ids = try submit(daemon, [line("a", ["edge": 1]), line("b", ["edge": 1])])
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            _ = try daemon.stop()
            try daemon.start()
            let preview = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "preview"])
            #expect(preview.id == plan.id && !preview.stale && preview.groups.map(\.jobIds) == [ids])
            _ = try executeAndFinish(daemon, jobs: ids)
        }
    }

    @Test("an out-of-memory run puts its items back alone; the next analysis halves the limit and says why")
    func outOfMemory() throws {
        try withDaemon { daemon in
            try pause(daemon)
            // 10 MiB per item in a 32 MiB container: 4 items are killed, one alone fits.
            let env = ["FAKE_ALLOC_MB_PER_ITEM": "10"]
            let lines = (0..<4).map { line("m\($0)", ["edge": 1], env: env, memory: "32m") }
            let ids = try submit(daemon, lines)
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            #expect(plan.groups.map(\.size) == [4])
            let executed = try daemon.ctlJSON(SmartBatchExecutedView.self, ["smart-batch", "execute", "--yes"])
            let run = try daemon.waitFinished(executed.runs, timeout: 120)[0]
            #expect(run.state == .failed && run.reason == "oom", "\(run.reason ?? "")")
            let alone = try daemon.waitFinished(ids, timeout: 180)
            #expect(alone.allSatisfy { $0.state == .succeeded && $0.parentId == nil }, "back alone, then succeeded")
            let report = try daemon.ctlJSON(SmartBatchReportView.self, ["smart-batch", "report"])
            #expect(report.runs.first?.requeuedItems == ids.sorted())

            try pause(daemon)
            _ = try submit(daemon, (0..<4).map { line("n\($0)", ["edge": 1], env: env, memory: "32m") })
            let next = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            #expect(next.groups.map(\.size) == [2, 2])
            #expect(next.groups.allSatisfy { $0.limitNote == "lowered to 2 after an out-of-memory run on host local" })
            let shown = daemon.ctl(["smart-batch", "preview"]).stdout
            #expect(shown.contains("out-of-memory run on host local"), "\(shown)")
        }
    }

    @Test("jobs with input files batch: each item's inputs are staged in its own folder, names may repeat")
    func inputs() throws {
        let root = "/tmp/cosmos-sb-inputs-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (folder, content) in [("a", "first clip"), ("b", "second clip")] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            try content.write(toFile: root + "/\(folder)/clip.txt", atomically: true, encoding: .utf8)
        }
        let harness = try DaemonHarness(extra: "[inputs]\nallow_roots = [\"\(root)\"]\n")
        try run(harness) { daemon in
            try pause(daemon)
            let ids = try submit(
                daemon,
                [
                    line("a", ["edge": 1], inputs: [root + "/a/clip.txt"]),
                    line("b", ["edge": 1], inputs: [root + "/b/clip.txt"]),
                ]
            )
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze"])
            #expect(plan.groups.map(\.jobIds) == [ids])
            let executed = try daemon.ctlJSON(SmartBatchExecutedView.self, ["smart-batch", "execute", "--yes"])
            _ = try daemon.waitFinished(executed.runs, timeout: 120)
            for (id, content) in zip(ids, ["first clip", "second clip"]) {
                let child = try daemon.show(id)
                #expect(child.state == .succeeded && child.outputs == ["inputs.txt", "video.mp4"], "\(child.outputs)")
                let listed = try String(
                    contentsOfFile: daemon.stateDirectory + "/outputs/\(id)/inputs.txt",
                    encoding: .utf8
                )
                #expect(listed == "clip.txt: \(content)\n")
            }

            // `submit --batch-run` takes items with inputs too.
            let file = daemon.directory.path + "/items.jsonl"
            try [
                line("c", ["edge": 1], inputs: [root + "/b/clip.txt"]),
                line("d", ["edge": 1], inputs: [root + "/a/clip.txt"]),
            ].joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let parent = try daemon.ctlJSON(JobView.self, ["submit", "--batch-run", "--file", file])
            #expect(try daemon.waitFinished([parent.id], timeout: 120)[0].state == .succeeded)
            let items = try #require(parent.children?.map(\.id))
            let first = try String(
                contentsOfFile: daemon.stateDirectory + "/outputs/\(items[0])/inputs.txt",
                encoding: .utf8
            )
            #expect(first == "clip.txt: second clip\n")
        }
    }
}
