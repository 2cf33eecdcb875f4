import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// `cosmosctl upscale` with the fake model on the real Docker engine: from a job (waiting for it) or a file.
@Suite("Upscale against the real Docker engine", .serialized)
struct UpscaleIntegrationTests {
    static let fakeModel = "cosmos-test/fake-model:latest"
    static let busybox = "cosmos-test/busybox:latest"

    /// A daemon whose `[upscale]` runs the fake model at weight 0.7 and that takes inputs from its own folder.
    func withUpscaleDaemon(_ body: (DaemonHarness) throws -> Void) throws {
        let harness = try DaemonHarness(
            gpus: 2,
            extra: """

                [upscale]
                image = "\(Self.fakeModel)"
                weight = 0.7

                [inputs]
                allow_roots = ["/tmp"]

                """
        )
        try run(harness, body)
    }

    /// The job document the fake model received, from the upscale job's outputs.
    func receivedSpec(_ daemon: DaemonHarness, _ id: String) throws -> [String: JSONValue] {
        let path = daemon.stateDirectory + "/outputs/\(id)/upscale-job.json"
        let value = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        guard case .object(let document) = value, case .object(let spec)? = document["spec"] else {
            throw HarnessError.command("read \(path)", 0, "not a job document")
        }
        return spec
    }

    func output(_ daemon: DaemonHarness, _ id: String, _ file: String) throws -> String {
        try String(contentsOfFile: daemon.stateDirectory + "/outputs/\(id)/\(file)", encoding: .utf8)
    }

    @Test("--from-job of a queued job waits for it, then upscales its staged video; no prompt key unless given")
    func fromQueuedJob() throws {
        try withUpscaleDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let source = try daemon.submit(["--image", Self.fakeModel, "--prompt", "a robot"])
            let upscale = try daemon.ctlJSON(JobView.self, ["upscale", "--from-job", source])
            #expect(upscale.kind == "upscale")
            #expect(upscale.sourceJobId == source)
            #expect(upscale.after == [source])
            #expect(daemon.ctl(["resume"]).status == 0)
            try waitUntil("the source runs or ends", timeout: 60) { try daemon.show(source).state != .queued }
            let jobs = try daemon.waitFinished([source, upscale.id], timeout: 90)
            #expect(jobs.map(\.state) == [.succeeded, .succeeded], "\(jobs.map(\.reason))")
            #expect(try #require(jobs[1].startedAt) >= (try #require(jobs[0].finishedAt)))
            let spec = try receivedSpec(daemon, upscale.id)
            #expect(spec["input_video_path"] == .string("/cosmos/in/video.mp4"))
            #expect(spec["upscale"] == .object(["control_weight": .number(0.7)]))
            #expect(spec["prompt"] == nil, "\(spec)")
            let video = try output(daemon, upscale.id, "video_4k.mp4")
            #expect(video.hasPrefix("FAKE-4K from video.mp4\nFAKE-MP4\njob_id=\(source)\n"))
            let logs = daemon.ctl(["logs", upscale.id])
            #expect(logs.stdout.contains("cosmos_upscale_\(upscale.id.prefix(8))_1"))
            let shown = try daemon.show(source)
            #expect(shown.upscales == [upscale.id])

            // The source has finished now: a second upscale names its video at once, with a prompt and a weight.
            let second = try daemon.ctlJSON(
                JobView.self,
                ["upscale", "--from-job", source, "--prompt", "cinematic 8K", "--weight", "0.25"]
            )
            #expect(try daemon.waitFinished([second.id], timeout: 60).map(\.state) == [.succeeded])
            let secondSpec = try receivedSpec(daemon, second.id)
            #expect(secondSpec["prompt"] == .string("cinematic 8K"))
            #expect(secondSpec["upscale"] == .object(["control_weight": .number(0.25)]))
            #expect(try daemon.show(source).upscales == [upscale.id, second.id])
        }
    }

    @Test("--video upscales a file; a source without a video, or a failed one, is refused and nothing is queued")
    func videoAndRefusals() throws {
        try withUpscaleDaemon { daemon in
            let file = daemon.directory.path + "/clip.mp4"
            try "a clip\n".write(toFile: file, atomically: true, encoding: .utf8)
            let upscale = try daemon.ctlJSON(JobView.self, ["upscale", "--video", file])
            #expect(upscale.sourceJobId == nil)
            #expect(try daemon.waitFinished([upscale.id], timeout: 60).map(\.state) == [.succeeded])
            #expect(try output(daemon, upscale.id, "video_4k.mp4") == "FAKE-4K from clip.mp4\na clip\n")

            let plain = try daemon.submit(["--image", Self.busybox, "--", "true"])
            let failing = try daemon.submit(["--image", Self.busybox, "--", "sh", "-c", "exit 2"])
            _ = try daemon.waitFinished([plain, failing], timeout: 60)
            let before = try daemon.ctlJSON([JobView].self, ["list"]).count
            let cases: [([String], String)] = [
                (["--from-job", plain], "from_job: job \(plain) has no video output"),
                (["--from-job", failing], "from_job: job \(failing) is failed, so it has no video"),
                (["--from-job", "zzzzzzzzzz"], "from_job: no job with id zzzzzzzzzz"),
                (["--video", "/etc/hostname"], "inputs[0]"),
            ]
            for (flags, message) in cases {
                let result = daemon.ctl(["upscale"] + flags)
                #expect(result.status != 0, "\(flags)")
                #expect(result.stderr.contains(message), "\(flags): \(result.stderr)")
            }
            #expect(try daemon.ctlJSON([JobView].self, ["list"]).count == before)
        }
    }

    @Test("a job: input its job did not write fails the dependent with the reason, without a retry")
    func missingJobOutput() throws {
        try withUpscaleDaemon { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let source = try daemon.submit(["--image", Self.busybox, "--", "true"])
            let file = daemon.directory.path + "/dependent.json"
            try """
            {"image": "\(Self.busybox)", "inputs": ["job:\(source)/video.mp4"], "command": ["true"]}
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let dependent = try daemon.ctlJSON([JobView].self, ["submit", "--file", file])[0]
            #expect(dependent.after == [source])
            #expect(daemon.ctl(["resume"]).status == 0)
            let jobs = try daemon.waitFinished([source, dependent.id], timeout: 60)
            #expect(jobs.map(\.state) == [.succeeded, .failed])
            #expect(
                jobs[1].reason == "input unavailable: job:\(source)/video.mp4: job \(source) has no output "
                    + "\"video.mp4\" (it has no outputs)"
            )
            #expect(jobs[1].attempts == 1)
        }
    }
}
