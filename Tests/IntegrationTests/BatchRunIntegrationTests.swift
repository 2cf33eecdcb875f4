import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Parent/child batch runs with the fake model: one container, the model loaded once, per-item results.
@Suite("Batch runs", .serialized)
struct BatchRunIntegrationTests {
    /// A JSON Lines file of fake-model items; `fail` maps an index to its failure message.
    func itemsFile(
        _ daemon: DaemonHarness,
        count: Int,
        env: [String: String] = [:],
        fail: [Int: String] = [:],
        image: (Int) -> String = { _ in "cosmos-test/fake-model:latest" }
    ) throws -> String {
        let envJSON = env.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        let lines = (0..<count).map { index in
            let params = fail[index].map { "\"fake_fail\": \"\($0)\"" } ?? ""
            return """
                {"name": "shot \(index)", "image": "\(image(index))", "prompt": "a robot, take \(index)", \
                "controls": {"edge": 0.5}, "env": {\(envJSON)}, "params": {\(params)}}
                """
        }
        let path = daemon.directory.path + "/items-\(UUID().uuidString.prefix(6)).jsonl"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func submitRun(_ daemon: DaemonHarness, file: String) throws -> JobView {
        try daemon.ctlJSON(JobView.self, ["submit", "--batch-run", "--file", file])
    }

    @Test("4 items in one container; item 2 fails by its spec; the others succeed with their own outputs")
    func fourItems() throws {
        try withDaemon { daemon in
            let file = try itemsFile(daemon, count: 4, env: ["FAKE_ITEM_SECONDS": "1"], fail: [2: "bad prompt 2"])
            let parent = try submitRun(daemon, file: file)
            #expect(parent.kind == "batch" && parent.position == 1 && parent.children?.count == 4)
            let childIDs = try #require(parent.children?.map(\.id))
            for child in parent.children ?? [] {
                #expect(child.state == .queued && child.position == nil && child.parentId == parent.id)
            }
            // While the run goes on, progress lines move the items: one runs while a later one still waits.
            try waitUntil("an item runs while a later one waits", timeout: 60) {
                let children = try childIDs.map { try daemon.show($0) }
                return children.contains { $0.state == .running } && children.last?.state == .queued
            }
            let done = try daemon.waitFinished([parent.id], timeout: 120)[0]
            #expect(done.state == .succeeded && done.attempts == 1)
            let children = try childIDs.map { try daemon.show($0) }
            #expect(children.map(\.state) == [.succeeded, .succeeded, .failed, .succeeded])
            #expect(children.map(\.batchIndex) == [0, 1, 2, 3])
            #expect(children[2].error?.contains("bad prompt 2") == true, "\(children[2].error ?? "")")
            for child in children where child.state == .succeeded {
                #expect(child.outputs == ["video.mp4"])
                let video = daemon.stateDirectory + "/outputs/\(child.id)/video.mp4"
                let content = (try? String(contentsOfFile: video, encoding: .utf8)) ?? ""
                #expect(content.contains(child.id), "\(video): \(content)")
            }
            let logs = daemon.ctl(["logs", parent.id]).stdout
            #expect(logs.components(separatedBy: "fake-model: model loaded").count == 2, "\(logs)")
            let shown = daemon.ctl(["show", children[1].id]).stdout
            #expect(shown.contains("item:       1 of batch run \(parent.id)"), "\(shown)")
            let parentShown = try daemon.ctlJSON(JobView.self, ["show", parent.id])
            #expect(parentShown.children?.map(\.id) == childIDs)
        }
    }

    @Test("a run that crashes before its manifest: the items go back as single jobs and then succeed")
    func crashBeforeManifest() throws {
        try withDaemon { daemon in
            let file = try itemsFile(daemon, count: 2, env: ["FAKE_CRASH_BEFORE_MANIFEST": "1"])
            let parent = try submitRun(daemon, file: file)
            let childIDs = try #require(parent.children?.map(\.id))
            let ended = try daemon.waitFinished([parent.id], timeout: 60)[0]
            #expect(ended.state == .failed && ended.reason == "exit code 3")
            let children = try daemon.waitFinished(childIDs, timeout: 120)
            for child in children {
                #expect(child.state == .succeeded, "\(child.id): \(child.reason ?? "") \(child.error ?? "")")
                #expect(child.attempts == 2 && child.outputs.contains("video.mp4"))
                #expect(child.reason == "batch run failed: exit code 3")
            }
        }
    }

    @Test("items that cannot share a container are refused, naming the first that differs; over the limit too")
    func refusals() throws {
        try withDaemon { daemon in
            let mixed = try itemsFile(daemon, count: 3) {
                $0 == 2 ? "cosmos-test/busybox:latest" : "cosmos-test/fake-model:latest"
            }
            let result = daemon.ctl(["submit", "--batch-run", "--file", mixed])
            #expect(result.status != 0 && result.stderr.contains("items[2].image"), "\(result.stderr)")
            let large = try itemsFile(daemon, count: 9)
            let tooMany = daemon.ctl(["submit", "--batch-run", "--file", large])
            #expect(tooMany.status != 0 && tooMany.stderr.contains("holds at most 8"), "\(tooMany.stderr)")
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).isEmpty)
        }
    }

    @Test("kill -9 in the middle of a run: the run is adopted; every item ends once, the model loaded once")
    func restartMidRun() throws {
        try withDaemon { daemon in
            let file = try itemsFile(daemon, count: 4, env: ["FAKE_ITEM_SECONDS": "1.5"])
            let parent = try submitRun(daemon, file: file)
            let childIDs = try #require(parent.children?.map(\.id))
            try waitUntil("the first item has succeeded", timeout: 60) {
                try daemon.show(childIDs[0]).state == .succeeded
            }
            let container = try #require(try daemon.show(parent.id).containerId)
            try daemon.stop(signal: SIGKILL)
            try daemon.start()
            let done = try daemon.waitFinished([parent.id], timeout: 120)[0]
            #expect(done.state == .succeeded && done.attempts == 1 && done.containerId == container)
            let children = try childIDs.map { try daemon.show($0) }
            #expect(children.allSatisfy { $0.state == .succeeded && $0.attempts == 1 })
            let logs = daemon.ctl(["logs", parent.id]).stdout
            #expect(logs.components(separatedBy: "fake-model: model loaded").count == 2, "\(logs)")
            for index in 0..<4 {
                let line = "##cosmos progress index=\(index) state=succeeded"
                #expect(logs.components(separatedBy: line).count == 2, "\(line) in \(logs)")
            }
        }
    }

    @Test("cancelling one item of a running run: the container skips it; cancelling the parent stops the run")
    func cancelItemAndParent() throws {
        try withDaemon { daemon in
            let file = try itemsFile(daemon, count: 4, env: ["FAKE_ITEM_SECONDS": "1.5"])
            let parent = try submitRun(daemon, file: file)
            let childIDs = try #require(parent.children?.map(\.id))
            try waitUntil("item 0 runs", timeout: 60) { try daemon.show(childIDs[0]).state == .running }
            #expect(daemon.ctl(["cancel", childIDs[3]]).status == 0)
            let done = try daemon.waitFinished([parent.id], timeout: 120)[0]
            #expect(done.state == .succeeded)
            let children = try childIDs.map { try daemon.show($0) }
            #expect(children.map(\.state) == [.succeeded, .succeeded, .succeeded, .cancelled])
            let logs = daemon.ctl(["logs", parent.id]).stdout
            #expect(logs.contains("item index=3 job_id=\(childIDs[3]) cancelled, skipped"), "\(logs)")

            let second = try submitRun(daemon, file: try itemsFile(daemon, count: 3, env: ["FAKE_ITEM_SECONDS": "5"]))
            let secondChildren = try #require(second.children?.map(\.id))
            try waitUntil("the second run's first item runs", timeout: 60) {
                try daemon.show(secondChildren[0]).state == .running
            }
            let container = try #require(try daemon.show(second.id).containerId)
            #expect(daemon.ctl(["cancel", second.id]).status == 0)
            try waitUntil("the container is gone", timeout: 30) {
                DaemonHarness.docker(["inspect", container]).status != 0
            }
            #expect(try daemon.show(second.id).state == .cancelled)
            #expect(try secondChildren.allSatisfy { try daemon.show($0).state == .cancelled })
        }
    }
}
