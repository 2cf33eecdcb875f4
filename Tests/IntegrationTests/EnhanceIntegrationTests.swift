import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// `cosmosctl enhance-batch` with the fake model on the real Docker engine: one container enhances the prompts of
/// queued jobs, which are then updated in place or copied.
@Suite("Batch prompt enhancement against the real Docker engine", .serialized)
struct EnhanceIntegrationTests {
    static let fakeModel = "cosmos-test/fake-model:latest"
    static let busybox = "cosmos-test/busybox:latest"

    /// A daemon whose `[enhance]` runs the fake model and that takes inputs from its own folder.
    func withEnhanceDaemon(_ body: (DaemonHarness) throws -> Void) throws {
        let harness = try DaemonHarness(
            gpus: 2,
            extra: """

                [enhance]
                image = "\(Self.fakeModel)"

                [inputs]
                allow_roots = ["/tmp"]

                """
        )
        try run(harness, body)
    }

    /// The `job.prompt_updated` entries of the event log: (job, old prompt, new prompt, time).
    func promptUpdates(_ daemon: DaemonHarness) throws -> [(job: String, old: String?, new: String?, at: String)] {
        let result = daemon.ctl(["events", "--type", EventType.jobPromptUpdated.rawValue, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\n").flatMap { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let data = try #require(object["data"] as? [String: Any])
            let events = (data["events"] as? [[String: Any]]) ?? [data]
            return events.map { event in
                let payload = event["payload"] as? [String: Any] ?? [:]
                return (
                    event["job_id"] as? String ?? "", payload["old_prompt"] as? String,
                    payload["new_prompt"] as? String, event["at"] as? String ?? ""
                )
            }
        }
    }

    /// The items of the job document an enhance run's container received (kept in the run's outputs).
    func receivedItems(_ daemon: DaemonHarness, _ runID: String) throws -> (model: JSONValue?, items: [JSONValue]) {
        let path = daemon.stateDirectory + "/outputs/\(runID)/enhance-job.json"
        let value = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        guard case .object(let document) = value, case .array(let items)? = document["items"] else {
            throw HarnessError.command("read \(path)", 0, "not a batch job document")
        }
        #expect(document["kind"] == .string("enhance_batch"))
        return (document["model"], items)
    }

    @Test("--update of 5 queued jobs: one container, one model load, the 5 prompts change at once, the jobs run them")
    func updateInPlace() throws {
        try withEnhanceDaemon { daemon in
            let clip = daemon.directory.path + "/clip.mp4"
            try "a clip\n".write(toFile: clip, atomically: true, encoding: .utf8)
            #expect(daemon.ctl(["pause"]).status == 0)
            var sources: [String] = []
            for index in 0..<5 {
                let input = index == 0 ? ["--input", clip] : []
                sources.append(
                    try daemon.submit(
                        ["--image", Self.busybox, "--prompt", "scene \(index)"] + input + [
                            "--", "cat", "/cosmos/job.json",
                        ]
                    )
                )
            }
            let run = try daemon.ctlJSON(
                JobView.self,
                ["enhance-batch"] + sources + ["--update", "--model", "upsampler-7"]
            )
            #expect(run.kind == "enhance_batch")
            #expect(run.enhanceMode == "update")
            #expect(run.position == 1, "the run goes before the jobs whose prompts it changes")
            #expect(run.children?.map(\.sourceJobId) == sources)
            #expect(run.children?.map(\.kind) == Array(repeating: "enhance", count: 5))
            for id in sources {
                let shown = try daemon.show(id)
                #expect(shown.state == .held)
                #expect(shown.pendingReason == "held while enhance run \(run.id) rewrites its prompt")
            }
            #expect(daemon.ctl(["resume"]).status == 0)
            let ended = try daemon.waitFinished([run.id], timeout: 90)[0]
            #expect(ended.state == .succeeded, "\(ended.reason ?? "") \(ended.error ?? "")")
            let jobs = try daemon.waitFinished(sources, timeout: 120)
            let expected = (0..<5).map { "scene \($0), enhanced by upsampler-7" + ($0 == 0 ? " [video clip.mp4]" : "") }
            #expect(jobs.map(\.state) == Array(repeating: .succeeded, count: 5), "\(jobs.map(\.reason))")
            #expect(jobs.map(\.prompt) == expected)
            for (job, prompt) in zip(jobs, expected) {
                // The job ran after the run ended, with the new prompt in its job.json (its command prints it).
                #expect(try #require(job.startedAt) >= (try #require(ended.finishedAt)))
                let logs = daemon.ctl(["logs", job.id]).stdout
                #expect(logs.contains("\"prompt\":\"\(prompt)\""), "\(logs)")
            }

            let logs = daemon.ctl(["logs", run.id]).stdout
            #expect(logs.contains("cosmos_enhance_batch_\(run.id.prefix(8))_1"))
            #expect(logs.components(separatedBy: "fake-model: model loaded").count == 2, "\(logs)")
            let shown = try daemon.show(run.id)
            #expect(shown.children?.map(\.state) == Array(repeating: .succeeded, count: 5))
            #expect(shown.children?.map(\.enhancedPrompt) == expected)
            #expect(shown.children?.map(\.reason) == sources.map { "updated the prompt of \($0)" })

            let (model, items) = try receivedItems(daemon, run.id)
            #expect(model == .string("upsampler-7"))
            #expect(items.count == 5)
            for (index, item) in items.enumerated() {
                guard case .object(let fields) = item, case .object(let spec)? = fields["spec"] else {
                    Issue.record("item \(index) is not an object: \(item)")
                    continue
                }
                #expect(fields["index"] == .number(Double(index)))
                #expect(fields["job_id"] == .string(shown.children?[index].id ?? ""))
                #expect(spec["prompt"] == .string("scene \(index)"))
                #expect(spec["source_job_id"] == .string(sources[index]))
                #expect(spec["inputs"] == .array(index == 0 ? [.string("/cosmos/in/0/clip.mp4")] : []))
            }

            let updates = try promptUpdates(daemon)
            #expect(updates.map(\.job) == sources)
            #expect(updates.map(\.old) == (0..<5).map { "scene \($0)" })
            #expect(updates.map(\.new) == expected)
            #expect(Set(updates.map(\.at)).count == 1, "one transaction: \(updates.map(\.at))")
        }
    }

    @Test("--create-new leaves the originals and queues 5 enhanced copies, each right after its original")
    func createNew() throws {
        try withEnhanceDaemon { daemon in
            // The sources and their copies wait for a held job, so their places can be read before they run.
            #expect(daemon.ctl(["pause"]).status == 0)
            let blocker = try daemon.submit(["--image", Self.busybox, "--", "true"])
            #expect(daemon.ctl(["hold", blocker]).status == 0)
            #expect(daemon.ctl(["resume"]).status == 0)
            let sources = try (0..<5).map { index in
                try daemon.submit(
                    [
                        "--image", Self.busybox, "--name", "shot \(index)", "--prompt", "shot \(index)", "--after",
                        blocker,
                    ]
                        + ["--", "true"]
                )
            }
            let run = try daemon.ctlJSON(JobView.self, ["enhance-batch"] + sources + ["--create-new"])
            #expect(run.enhanceMode == "create_new")
            #expect(try daemon.waitFinished([run.id], timeout: 90)[0].state == .succeeded)
            let queue = try daemon.ctlJSON([JobView].self, ["list"]).filter { $0.state.isInQueue }
            #expect(queue.count == 11, "\(queue.map(\.name))")
            #expect(queue.first?.id == blocker)
            let rest = Array(queue.dropFirst())
            for index in 0..<5 {
                let original = rest[2 * index]
                let copy = rest[2 * index + 1]
                #expect(original.id == sources[index])
                #expect(original.prompt == "shot \(index)")
                #expect(copy.name == "shot \(index) (enhanced)")
                #expect(copy.prompt == "shot \(index), enhanced by fake-upsampler")
                #expect(copy.after == [blocker], "a copy waits for what its original waits for")
                #expect(copy.position == (original.position ?? 0) + 1)
            }
            let items = try daemon.show(run.id).children ?? []
            #expect(items.map { $0.reason?.hasPrefix("queued ") ?? false } == Array(repeating: true, count: 5))
            #expect(try promptUpdates(daemon).isEmpty)
            #expect(daemon.ctl(["release", blocker]).status == 0)
            let all = try daemon.waitFinished([blocker] + rest.map(\.id), timeout: 120)
            #expect(all.allSatisfy { $0.state == .succeeded }, "\(all.map(\.state))")
        }
    }

    @Test("an item failure leaves its source untouched; a source cancelled meanwhile is reported, not revived")
    func failuresAndCancelledSource() throws {
        try withEnhanceDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let kept = try daemon.submit(["--image", Self.busybox, "--prompt", "sunset", "--", "true"])
            let failing = try daemon.submit(["--image", Self.busybox, "--prompt", "FAIL-ENHANCE a storm", "--", "true"])
            let cancelled = try daemon.submit(["--image", Self.busybox, "--prompt", "a harbour", "--", "true"])
            let run = try daemon.ctlJSON(JobView.self, ["enhance-batch", kept, failing, cancelled, "--update"])
            #expect(daemon.ctl(["cancel", cancelled]).status == 0)
            #expect(daemon.ctl(["resume"]).status == 0)
            #expect(try daemon.waitFinished([run.id], timeout: 90)[0].state == .succeeded)
            let items = try daemon.show(run.id).children ?? []
            #expect(items.map(\.state) == [.succeeded, .failed, .succeeded])
            #expect(items[1].error == "fake enhance failure")
            #expect(items[2].reason == "the source was cancelled meanwhile; not revived")
            let jobs = try daemon.waitFinished([kept, failing], timeout: 90)
            #expect(jobs.map(\.state) == [.succeeded, .succeeded])
            #expect(jobs.map(\.prompt) == ["sunset, enhanced by fake-upsampler", "FAIL-ENHANCE a storm"])
            let gone = try daemon.show(cancelled)
            #expect(gone.state == .cancelled)
            #expect(gone.prompt == "a harbour")
            #expect(try promptUpdates(daemon).map(\.job) == [kept])
        }
    }

    @Test("a run that fails as a whole changes nothing; --batch takes a batch's queued jobs; refusals queue nothing")
    func wholeFailureBatchAndRefusals() throws {
        try withEnhanceDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let source = try daemon.submit(["--image", Self.busybox, "--prompt", "a forest", "--", "true"])
            let run = try daemon.ctlJSON(
                JobView.self,
                ["enhance-batch", source, "--update", "--env", "FAKE_EXIT_CODE=3"]
            )
            #expect(daemon.ctl(["resume"]).status == 0)
            let ended = try daemon.waitFinished([run.id], timeout: 90)[0]
            #expect(ended.state == .failed)
            let item = try #require(try daemon.show(run.id).children?.first)
            #expect(item.state == .failed)
            #expect(item.reason?.hasPrefix("enhance run failed: ") == true, "\(item.reason ?? "")")
            let after = try daemon.waitFinished([source], timeout: 90)[0]
            #expect(after.state == .succeeded)
            #expect(after.prompt == "a forest")
            #expect(try promptUpdates(daemon).isEmpty)

            // --batch: every queued job of a named batch, updated in place.
            #expect(daemon.ctl(["pause"]).status == 0)
            let file = daemon.directory.path + "/batch.jsonl"
            try (0..<2).map { "{\"image\": \"\(Self.busybox)\", \"prompt\": \"take \($0)\", \"command\": [\"true\"]}" }
                .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let batch = try daemon.ctlJSON(BatchView.self, ["batch", "create", "takes", "--file", file])
            let batchRun = try daemon.ctlJSON(JobView.self, ["enhance-batch", "--batch", batch.id, "--update"])
            #expect(batchRun.children?.count == 2)

            // Refusals name the field and queue nothing.
            let before = try daemon.ctlJSON([JobView].self, ["list"]).count
            let cases: [([String], String)] = [
                ([source, "--update"], "jobs[0]: job \(source) is succeeded; only queued or held jobs"),
                (["zzzzzzzzzz", "--update"], "jobs[0]: no job with id zzzzzzzzzz"),
                ([try #require(batchRun.children?.first?.sourceJobId), "--create-new"], "is already in enhance run"),
                ([run.id, "--update"], "jobs[0]: job \(run.id) is a batch run"),
                ([source], "choose one: --update"),
                (["--update"], "name the jobs to enhance"),
            ]
            for (arguments, message) in cases {
                let result = daemon.ctl(["enhance-batch"] + arguments)
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).count == before)

            #expect(daemon.ctl(["resume"]).status == 0)
            let sources = (batchRun.children ?? []).compactMap(\.sourceJobId)
            #expect(sources.count == 2)
            _ = try daemon.waitFinished([batchRun.id], timeout: 90)
            let takes = try daemon.waitFinished(sources, timeout: 90)
            #expect(
                takes.map(\.prompt) == ["take 0, enhanced by fake-upsampler", "take 1, enhanced by fake-upsampler"]
            )
        }
    }
}
