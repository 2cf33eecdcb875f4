import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// The shipped runner adapters against the fake Cosmos programs (`cosmos-test/fake-cosmos`, built by
/// `scripts/test-env.sh` from `scripts/fake-cosmos/`), on the real engine.
///
/// The fakes declare the real flag sets, check spec files by the real rules and print what they received on a
/// `##fake-cosmos` line; each test asserts the exact arguments and files.
@Suite("Runner adapters for Cosmos images", .serialized)
struct CosmosAdapterIntegrationTests {
    static let image = "cosmos-test/fake-cosmos:latest"
    static let busybox = "cosmos-test/busybox:latest"
    static let specs = "/cosmos/work/controlnet_specs.json"
    static let batchFile = "/cosmos/work/batch_input.jsonl"
    static let saveFolder = "/cosmos/work/outputs"

    /// A daemon whose `[[runners]]` entry runs the fake Cosmos image through `adapter`, with the checkpoints
    /// mounted from the daemon's folder at `/checkpoints` by the host's `mounts`.
    func withCosmosDaemon(
        adapter: String = "cosmos-transfer1",
        repoDir: String = "/workspace",
        offload: [String] = ["text_encoder", "guardrail"],
        gpus: Int = 1,
        extra: String = "",
        _ body: (DaemonHarness) throws -> Void
    ) throws {
        let short = String(UUID().uuidString.prefix(8)).lowercased()
        let checkpoints = "/tmp/cosmos-ckpt-\(short)"
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        for file in [
            "nvidia/Cosmos-Transfer1-7B/base_model.pt", "nvidia/Cosmos-Transfer1-7B/edge_control.pt",
            "nvidia/Cosmos-Transfer1-7B/depth_control.pt", "nvidia/Cosmos-Transfer1-7B/seg_control.pt",
            "nvidia/Cosmos-Transfer1-7B/4kupscaler_control.pt",
            "nvidia/Cosmos-UpsamplePrompt1-12B-Transfer/config.json",
        ] {
            let path = checkpoints + "/" + file
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try "checkpoint\n".write(toFile: path, atomically: true, encoding: .utf8)
        }
        let offloadList = offload.map { "\"\($0)\"" }.joined(separator: ", ")
        let harness = try DaemonHarness(
            hosts: """
                [[hosts]]
                name = "local"
                docker = "unix:///var/run/docker.sock"
                gpus = \(gpus)
                gpu_mode = "env"
                mounts = [{source = "\(checkpoints)", target = "/checkpoints"}]

                """,
            extra: """

                [[runners]]
                match = "cosmos-test/fake-cosmos:*"
                adapter = "\(adapter)"
                repo_dir = "\(repoDir)"
                checkpoint_dir = "/checkpoints"
                shm_size = "256m"
                offload = [\(offloadList)]

                [inputs]
                allow_roots = ["/tmp"]

                \(extra)
                """
        )
        try run(harness, body)
    }

    /// A file of `text` in the daemon's folder.
    func file(_ daemon: DaemonHarness, _ name: String, _ text: String = "a video\n") throws -> String {
        let path = daemon.directory.path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes `specs` as JSON Lines and submits them (`--batch-run` makes one run of them).
    func submit(_ daemon: DaemonHarness, _ specs: [[String: Any]], batchRun: Bool = false) throws -> [JobView] {
        let lines = try specs.map { spec in
            var spec = spec
            spec["image"] = spec["image"] ?? Self.image
            let data = try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        let path = daemon.directory.path + "/specs-\(UUID().uuidString.prefix(6)).jsonl"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        if batchRun { return [try daemon.ctlJSON(JobView.self, ["submit", "--batch-run", "--file", path])] }
        return try daemon.ctlJSON([JobView].self, ["submit", "--file", path])
    }

    /// Every `##fake-cosmos` record in the job's log, in order.
    func records(_ daemon: DaemonHarness, _ id: String) throws -> [[String: Any]] {
        let logs = daemon.ctl(["logs", id]).stdout
        return try logs.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard let range = line.range(of: "##fake-cosmos ") else { return nil }
            let json = Data(line[range.upperBound...].utf8)
            return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        }
    }

    /// The one record of `program` (there must be exactly one: the model ran once).
    func record(_ daemon: DaemonHarness, _ id: String, _ program: String) throws -> [String: Any] {
        let matching = try records(daemon, id).filter { $0["program"] as? String == program }
        #expect(matching.count == 1, "\(program) ran \(matching.count) times: \(daemon.ctl(["logs", id]).stdout)")
        return try #require(matching.first)
    }

    /// A spec file the fake received, parsed.
    func received(_ record: [String: Any], _ path: String) throws -> Any {
        let files = try #require(record["files"] as? [String: String])
        let text = try #require(files[path], "no \(path) among \(files.keys.sorted())")
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// The JSON Lines file the fake received, one object a line (no blank line: transfer.py would crash on it).
    func receivedLines(_ record: [String: Any], _ path: String) throws -> [NSDictionary] {
        let files = try #require(record["files"] as? [String: String])
        let text = try #require(files[path])
        #expect(text.hasSuffix("\n") && !text.contains("\n\n"))
        return try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary)
        }
    }

    func argv(_ record: [String: Any]) -> [String] { record["argv"] as? [String] ?? [] }

    func output(_ daemon: DaemonHarness, _ id: String, _ file: String = "output.mp4") -> String {
        (try? String(contentsOfFile: daemon.stateDirectory + "/outputs/\(id)/\(file)", encoding: .utf8)) ?? ""
    }

    @Test("a single inference job: the controlnet spec holds the prompt, the video and the controls above 0")
    func singleInference() throws {
        try withCosmosDaemon { daemon in
            let clip = try file(daemon, "clip.mp4")
            let depth = try file(daemon, "depth.mp4", "a depth video\n")
            let job = try submit(
                daemon,
                [
                    [
                        "name": "shot", "prompt": "a robot", "inputs": [clip, depth],
                        "controls": ["edge": 0.5, "depth": 0.3, "seg": 0],
                        "params": ["num_steps": 20, "guidance": 6, "seed": 7],
                    ]
                ]
            )[0]
            let ended = try daemon.waitFinished([job.id], timeout: 90)[0]
            #expect(ended.state == .succeeded, "\(ended.reason ?? "") \(ended.error ?? "")")
            #expect(ended.outputs == ["output.mp4", "output.txt"])
            #expect(output(daemon, job.id).contains("\"prompt\": \"a robot\""))
            #expect(output(daemon, job.id, "output.txt") == "a robot")
            let transfer = try record(daemon, job.id, "transfer.py")
            #expect(
                argv(transfer) == [
                    "--checkpoint_dir", "/checkpoints", "--controlnet_specs", Self.specs, "--video_save_folder",
                    Self.saveFolder, "--video_save_name", "output", "--guidance", "6.0", "--num_steps", "20",
                    "--seed", "7", "--offload_text_encoder_model", "--offload_guardrail_models",
                ]
            )
            #expect(transfer["cwd"] as? String == "/workspace")
            #expect(transfer["world_size"] as? Int == 1)
            #expect(try records(daemon, job.id).allSatisfy { $0["program"] as? String != "torchrun" })
            let spec = try received(transfer, Self.specs) as? NSDictionary
            #expect(
                spec
                    == [
                        "prompt": "a robot", "input_video_path": "/cosmos/in/clip.mp4",
                        "edge": ["control_weight": 0.5],
                        "depth": ["control_weight": 0.3, "input_control": "/cosmos/in/depth.mp4"],
                    ] as NSDictionary
            )
        }
    }

    @Test("a 4-item batch run: one transfer.py, a JSONL of 4 lines, each video handed to its own child")
    func batchRun() throws {
        try withCosmosDaemon { daemon in
            let clips = try (0..<4).map { try file(daemon, "clip\($0).mp4") }
            let specs: [[String: Any]] = (0..<4).map { index in
                [
                    "name": "shot \(index)", "prompt": "a robot, take \(index)", "inputs": [clips[index]],
                    "controls": ["edge": [0.2, 0.3, 0.4, 0.5][index]], "params": ["num_steps": 30],
                ]
            }
            let parent = try submit(daemon, specs, batchRun: true)[0]
            let childIDs = try #require(parent.children?.map(\.id))
            #expect(try daemon.waitFinished([parent.id], timeout: 120)[0].state == .succeeded)
            let children = try childIDs.map { try daemon.show($0) }
            #expect(children.map(\.state) == Array(repeating: .succeeded, count: 4))
            for (index, child) in children.enumerated() {
                #expect(child.outputs == ["output.mp4", "output.txt"])
                #expect(output(daemon, child.id).contains("\"prompt\": \"a robot, take \(index)\""))
            }
            let transfer = try record(daemon, parent.id, "transfer.py")
            #expect(
                argv(transfer) == [
                    "--checkpoint_dir", "/checkpoints", "--controlnet_specs", Self.specs, "--video_save_folder",
                    Self.saveFolder, "--batch_input_path", Self.batchFile, "--num_steps", "30",
                    "--offload_text_encoder_model", "--offload_guardrail_models",
                ]
            )
            let base = try received(transfer, Self.specs) as? NSDictionary
            #expect(
                base == ["edge": ["control_weight": 0.5], "input_video_path": "/cosmos/in/0/clip0.mp4"] as NSDictionary
            )
            let lines = try receivedLines(transfer, Self.batchFile)
            #expect(
                lines
                    == (0..<4).map { index in
                        [
                            "visual_input": "/cosmos/in/\(index)/clip\(index).mp4", "prompt": "a robot, take \(index)",
                            "control_overrides": [
                                "edge": ["control_weight": [0.2, 0.3, 0.4, 0.5][index], "input_control": NSNull()]
                            ],
                        ] as NSDictionary
                    }
            )
        }
    }

    @Test("a smart-batched run in mixed mode: the base spec holds the union, each line's overrides its own weights")
    func smartBatchMixed() throws {
        try withCosmosDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let clips = try (0..<3).map { try file(daemon, "m\($0).mp4") }
            let weights: [[String: Double]] = [["edge": 0.4], ["edge": 0.5, "depth": 0.3], ["depth": 0.7]]
            let jobs = try submit(
                daemon,
                (0..<3).map {
                    ["name": "m\($0)", "prompt": "mixed \($0)", "inputs": [clips[$0]], "controls": weights[$0]]
                }
            ).map(\.id)
            let plan = try daemon.ctlJSON(SmartBatchPlanView.self, ["smart-batch", "analyze", "--mixed"])
            #expect(plan.runsAfter == 1, "one run of the 3 jobs under the master controls edge + depth")
            let executed = try daemon.ctlJSON(SmartBatchExecutedView.self, ["smart-batch", "execute", "--yes"])
            let runID = try #require(executed.runs.first)
            #expect(try daemon.waitFinished([runID], timeout: 120)[0].state == .succeeded)
            let children = try jobs.map { try daemon.show($0) }
            #expect(children.allSatisfy { $0.state == .succeeded && $0.parentId == runID })
            let transfer = try record(daemon, runID, "transfer.py")
            let base = try received(transfer, Self.specs) as? NSDictionary
            #expect(
                base
                    == [
                        "edge": ["control_weight": 0.5], "depth": ["control_weight": 0.7],
                        "input_video_path": "/cosmos/in/0/m0.mp4",
                    ] as NSDictionary
            )
            let lines = try receivedLines(transfer, Self.batchFile)
            let overrides = lines.compactMap { $0["control_overrides"] as? NSDictionary }
            #expect(
                overrides
                    == (0..<3).map { index in
                        [
                            "edge": ["control_weight": weights[index]["edge"] ?? 0, "input_control": NSNull()],
                            "depth": ["control_weight": weights[index]["depth"] ?? 0, "input_control": NSNull()],
                        ] as NSDictionary
                    }
            )
            #expect(lines.map { $0["prompt"] as? String } == ["mixed 0", "mixed 1", "mixed 2"])
        }
    }

    @Test("an upscale of a finished job, without and with a prompt: Cosmos's upscale spec and --num_steps 10")
    func upscale() throws {
        try withCosmosDaemon(extra: "[upscale]\nimage = \"\(Self.image)\"\n") { daemon in
            let clip = try file(daemon, "src.mp4")
            let source = try submit(daemon, [["prompt": "a robot", "inputs": [clip], "controls": ["edge": 0.5]]])[0]
            #expect(try daemon.waitFinished([source.id], timeout: 90)[0].state == .succeeded)
            let plain = try daemon.ctlJSON(JobView.self, ["upscale", "--from-job", source.id])
            let prompted = try daemon.ctlJSON(
                JobView.self,
                ["upscale", "--from-job", source.id, "--prompt", "cinematic 8K", "--weight", "0.25"]
            )
            let ended = try daemon.waitFinished([plain.id, prompted.id], timeout: 120)
            #expect(ended.map(\.state) == [.succeeded, .succeeded], "\(ended.map(\.error))")
            let plainSpec: NSDictionary = [
                "input_video_path": "/cosmos/in/output.mp4", "upscale": ["control_weight": 0.5],
            ]
            let promptedSpec: NSDictionary = [
                "input_video_path": "/cosmos/in/output.mp4", "upscale": ["control_weight": 0.25],
                "prompt": "cinematic 8K",
            ]
            for (job, expected) in [(plain, plainSpec), (prompted, promptedSpec)] {
                let transfer = try record(daemon, job.id, "transfer.py")
                #expect(try received(transfer, Self.specs) as? NSDictionary == expected)
                #expect(
                    argv(transfer) == [
                        "--checkpoint_dir", "/checkpoints", "--controlnet_specs", Self.specs, "--video_save_folder",
                        Self.saveFolder, "--video_save_name", "output", "--num_steps", "10",
                        "--offload_text_encoder_model", "--offload_guardrail_models",
                    ]
                )
                #expect(try daemon.show(job.id).outputs.contains("output.mp4"))
            }
        }
    }

    @Test("a 2-GPU job runs under torchrun --nproc_per_node=2 with --num_gpus 2")
    func twoGPUs() throws {
        try withCosmosDaemon(gpus: 2) { daemon in
            let clip = try file(daemon, "wide.mp4")
            let job = try submit(daemon, [["gpus": 2, "prompt": "wide", "inputs": [clip], "controls": ["edge": 1]]])[0]
            let ended = try daemon.waitFinished([job.id], timeout: 90)[0]
            #expect(ended.state == .succeeded, "\(ended.error ?? "")")
            let flags = [
                "--checkpoint_dir", "/checkpoints", "--controlnet_specs", Self.specs, "--video_save_folder",
                Self.saveFolder, "--video_save_name", "output", "--offload_text_encoder_model",
                "--offload_guardrail_models", "--num_gpus", "2",
            ]
            let torchrun = try record(daemon, job.id, "torchrun")
            #expect(
                argv(torchrun) == ["--nproc_per_node=2", "cosmos_transfer1/diffusion/inference/transfer.py"] + flags
            )
            let transfer = try record(daemon, job.id, "transfer.py")
            #expect(argv(transfer) == flags)
            #expect(transfer["world_size"] as? Int == 2)
            #expect((transfer["env"] as? [String: Any])?["CUDA_VISIBLE_DEVICES"] as? String == "0,1")
        }
    }

    @Test("a batch item whose video Cosmos did not write fails, with the reason; the others succeed")
    func missingBatchOutput() throws {
        try withCosmosDaemon { daemon in
            let clips = try (0..<3).map { try file(daemon, "b\($0).mp4") }
            let prompts = ["first", "second FAKE_NO_OUTPUT", "third"]
            let parent = try submit(
                daemon,
                (0..<3).map { ["prompt": prompts[$0], "inputs": [clips[$0]], "controls": ["edge": 0.5]] },
                batchRun: true
            )[0]
            let childIDs = try #require(parent.children?.map(\.id))
            _ = try daemon.waitFinished([parent.id], timeout: 120)
            let children = try childIDs.map { try daemon.show($0) }
            #expect(children.map(\.state) == [.succeeded, .failed, .succeeded])
            #expect(children[1].error?.contains("wrote no video_1/output.mp4") == true, "\(children[1].error ?? "")")
            #expect(children[1].outputs.isEmpty)
            #expect(output(daemon, children[2].id).contains("\"prompt\": \"third\""))
        }
    }

    @Test("a CUDA out-of-memory error in the log ends the job oom, with the exit code and the last stderr lines")
    func cudaOutOfMemory() throws {
        try withCosmosDaemon { daemon in
            let clip = try file(daemon, "big.mp4")
            let job = try submit(daemon, [["prompt": "huge FAKE_OOM", "inputs": [clip], "controls": ["edge": 0.5]]])[0]
            let ended = try daemon.waitFinished([job.id], timeout: 90)[0]
            #expect(ended.state == .failed)
            #expect(ended.reason == Reason.oom)
            #expect(ended.exitCode == 1)
            let error = ended.error ?? ""
            #expect(error.hasPrefix("transfer.py exited 1:"), "\(error)")
            #expect(error.contains("torch.OutOfMemoryError: CUDA out of memory"), "\(error)")
        }
    }

    @Test("a Transfer2.5 batch: one inference.py -i <spec files> -o <dir>, <name>.mp4 mapped to each item")
    func transfer25Batch() throws {
        try withCosmosDaemon(adapter: "cosmos-transfer2.5", repoDir: "/workspace-2.5", offload: ["guardrail"]) {
            daemon in
            let clips = try (0..<3).map { try file(daemon, "t\($0).mp4") }
            let edge = try file(daemon, "edge.mp4", "an edge video\n")
            var specs: [[String: Any]] = (0..<3).map { index in
                [
                    "prompt": "harbour \(index)", "inputs": [clips[index]], "controls": ["edge": 0.5, "depth": 0],
                    "params": ["guidance": 4, "seed": 11],
                ]
            }
            specs[1]["inputs"] = [clips[1], edge]
            let parent = try submit(daemon, specs, batchRun: true)[0]
            let childIDs = try #require(parent.children?.map(\.id))
            let ended = try daemon.waitFinished([parent.id], timeout: 120)[0]
            #expect(ended.state == .succeeded, "\(ended.error ?? "")")
            let children = try childIDs.map { try daemon.show($0) }
            #expect(children.map(\.state) == Array(repeating: .succeeded, count: 3))
            for (index, child) in children.enumerated() {
                #expect(child.outputs == ["output.mp4", "output.txt"])
                #expect(output(daemon, child.id).contains("\"prompt\": \"harbour \(index)\""))
            }
            let inference = try record(daemon, parent.id, "inference.py")
            let files = (0..<3).map { "/cosmos/work/item_\($0).json" }
            #expect(argv(inference) == ["-i"] + files + ["-o", "/cosmos/work/outputs", "--offload-guardrail-models"])
            #expect(inference["cwd"] as? String == "/workspace-2.5")
            #expect((inference["env"] as? [String: Any])?["HF_HOME"] as? String == "/checkpoints")
            for index in 0..<3 {
                let controlPath: Any = index == 1 ? "/cosmos/in/1/edge.mp4" : NSNull()
                #expect(
                    try received(inference, files[index]) as? NSDictionary
                        == [
                            "name": "item_\(index)", "prompt": "harbour \(index)",
                            "video_path": "/cosmos/in/\(index)/t\(index).mp4", "guidance": 4, "seed": 11,
                            "edge": ["control_path": controlPath, "control_weight": 0.5],
                        ] as NSDictionary
                )
            }
        }
    }

    @Test("an enhance run with the upsampler adapter: the model loads once, every prompt comes back enhanced")
    func enhanceWithUpsampler() throws {
        try withCosmosDaemon(
            adapter: "cosmos-prompt-upsampler",
            offload: ["prompt_upsampler"],
            extra: "[enhance]\nimage = \"\(Self.image)\"\n"
        ) { daemon in
            let clip = try file(daemon, "scene.mp4")
            #expect(daemon.ctl(["pause"]).status == 0)
            var sources: [String] = []
            for index in 0..<3 {
                let input = index == 0 ? ["--input", clip] : []
                sources.append(
                    try daemon.submit(
                        ["--image", Self.busybox, "--prompt", "scene \(index)"] + input + ["--", "true"]
                    )
                )
            }
            let run = try daemon.ctlJSON(JobView.self, ["enhance-batch"] + sources + ["--update"])
            #expect(daemon.ctl(["resume"]).status == 0)
            let ended = try daemon.waitFinished([run.id], timeout: 120)[0]
            #expect(ended.state == .succeeded, "\(ended.reason ?? "") \(ended.error ?? "")")
            let expected = (0..<3).map { "An enhanced, detailed scene: scene \($0) (\($0 == 0 ? 2 : 0) frames)" }
            let jobs = try daemon.waitFinished(sources, timeout: 120)
            #expect(jobs.map(\.prompt) == expected)
            let loaded = try record(daemon, run.id, "PixtralPromptUpsampler")
            #expect(loaded["checkpoint_dir"] as? String == "/checkpoints")
            #expect(loaded["offload_prompt_upsampler"] as? Bool == true)
            let calls = try records(daemon, run.id).filter { $0["program"] as? String == "upsample" }
            #expect(calls.map { $0["prompt"] as? String } == ["scene 0", "scene 1", "scene 2"])
            #expect(calls.map { $0["images"] as? Int } == [2, 0, 0])
        }
    }

    @Test("an adapter image refuses what it cannot run: a command, an unknown control or param, no video")
    func refusals() throws {
        try withCosmosDaemon { daemon in
            let clip = try file(daemon, "r.mp4")
            let cases: [([String], String)] = [
                (["--control", "edge=0.5", "--input", clip, "--", "sh"], "command: "),
                (["--control", "fog=0.5", "--input", clip], "controls.fog: cosmos-transfer1 has no control fog"),
                (["--control", "edge=0.5"], "inputs: the cosmos-transfer1 adapter needs the input video"),
                (["--input", clip], "controls: cosmos-transfer1 needs at least one control"),
            ]
            for (flags, message) in cases {
                let result = daemon.ctl(["submit", "--image", Self.image, "--prompt", "p"] + flags)
                #expect(result.status != 0)
                #expect(result.stderr.contains(message), "\(flags): \(result.stderr)")
            }
            let file = daemon.directory.path + "/bad.json"
            try
                #"{"image": "\#(Self.image)", "inputs": ["\#(clip)"], "controls": {"edge": 0.5}, "params": {"steps": 3}}"#
                .write(toFile: file, atomically: true, encoding: .utf8)
            let result = daemon.ctl(["submit", "--file", file])
            #expect(result.status != 0 && result.stderr.contains("params.steps: the cosmos-transfer1 adapter"))
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).isEmpty, "nothing was queued")
        }
    }
}
