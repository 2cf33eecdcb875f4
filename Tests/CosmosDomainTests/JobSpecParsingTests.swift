import CosmosDomain
import Foundation
import Testing

@Suite("Job spec parsing")
struct JobSpecParsingTests {
    func parse(_ json: String) throws -> JobSpec {
        try JobSpec.parse(try JSONValue.parse(Data(json.utf8)))
    }

    func error(_ json: String) -> SpecError? {
        do {
            _ = try parse(json)
            return nil
        } catch let error as SpecError {
            return error
        } catch {
            return SpecError(field: "?", reason: "\(error)")
        }
    }

    @Test("a full spec parses with every field")
    func fullSpec() throws {
        let spec = try parse(
            """
            {"name": "shot 1", "kind": "upscale", "image": "cosmos-test/fake-model:latest", "command": ["run", "--fast"],
             "env": {"A": "1"}, "gpus": 2, "priority": 5, "prompt": "a robot", "controls": {"edge": 0.5, "depth": 0},
             "params": {"steps": 35, "seed": null}, "inputs": ["/data/clip.mp4"], "retries": 2, "memory": "512m"}
            """
        )
        #expect(spec.name == "shot 1")
        #expect(spec.kind == .upscale)
        #expect(spec.command == ["run", "--fast"])
        #expect(spec.env == ["A": "1"])
        #expect(spec.gpus == 2 && spec.priority == 5 && spec.retries == 2)
        #expect(spec.controls == ["edge": 0.5, "depth": 0])
        #expect(spec.activeControls == ["edge"])
        #expect(spec.params["steps"] == .number(35))
        #expect(spec.memoryBytes == Int64(512 << 20))
    }

    @Test("defaults: inference, 1 GPU, priority 0")
    func defaults() throws {
        let spec = try parse(#"{"image": "x"}"#)
        #expect(spec.kind == .inference && spec.gpus == 1 && spec.priority == 0 && spec.command == nil)
    }

    @Test(
        "bad input names the field and the reason",
        arguments: [
            (#"{"image": "x", "privileged": true}"#, "privileged", "unknown field"),
            (#"{"image": ""}"#, "image", "must not be empty"),
            (#"{"name": "no image"}"#, "image", "must not be empty"),
            (#"{"image": "x", "controls": {"edge": 1.5}}"#, "controls.edge", "outside [0, 1]"),
            (#"{"image": "x", "controls": {"edge": -0.1}}"#, "controls.edge", "outside [0, 1]"),
            (#"{"image": "x", "controls": {"edge": "high"}}"#, "controls.edge", "expected a number"),
            (#"{"image": "x", "gpus": -1}"#, "gpus", "must not be negative"),
            (#"{"image": "x", "gpus": 1.5}"#, "gpus", "whole number"),
            (#"{"image": "x", "kind": "batch"}"#, "kind", "unknown kind"),
            (
                #"{"image": "x", "env": {"NVIDIA_VISIBLE_DEVICES": "all"}}"#, "env.NVIDIA_VISIBLE_DEVICES",
                "set by the daemon"
            ),
            (#"{"image": "x", "command": "sh -c"}"#, "command", "expected an array"),
            (#"{"image": "x", "inputs": ["relative.mp4"]}"#, "inputs[0]", "absolute path"),
            (#"{"image": "x", "memory": "lots"}"#, "memory", "expected a size"),
            (#"{"image": "x", "priority": 5000}"#, "priority", "must be in"),
            (#"{"image": "x", "retries": 99}"#, "retries", "must be in"),
            (#"["not", "an", "object"]"#, "", "expected a job spec object"),
        ]
    )
    func refusals(json: String, field: String, reason: String) {
        let error = error(json)
        #expect(error?.field == field)
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("malformed JSON is refused, naming the body")
    func malformed() {
        #expect(throws: SpecError.self) { try JSONValue.parse(Data("{\"image\": ".utf8)) }
        let error = try? JSONValue.parse(Data("{nope".utf8))
        #expect(error == nil)
    }

    @Test("memory sizes parse with units and refuse overflow")
    func memorySizes() {
        #expect(JobSpec.parseMemory("512m") == 512 << 20)
        #expect(JobSpec.parseMemory("8G") == 8 << 30)
        #expect(JobSpec.parseMemory("4096") == 4096)
        #expect(JobSpec.parseMemory("99999999999999g") == nil)
        #expect(JobSpec.parseMemory("-1m") == nil)
        #expect(JobSpec.parseMemory("m") == nil)
    }

    @Test("nested errors get the item prefix")
    func nesting() {
        let error = SpecError(field: "controls.edge", reason: "bad").nested(under: "jobs[13]")
        #expect(error.description == "jobs[13].controls.edge: bad")
    }
}

/// `after`, `after_any`, `job:` inputs and the upscale form.
@Suite("Job spec dependencies and upscale")
struct JobSpecDependencyTests {
    func parse(_ text: String) throws -> JobSpec {
        try JobSpec.parse(try JSONValue.parse(Data(text.utf8)))
    }

    func refusal(_ text: String) -> SpecError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error as? SpecError
        }
    }

    @Test("after, after_any and job: inputs become dependencies; a job: input implies after")
    func dependencies() throws {
        let spec = try parse(
            """
            {"image": "i", "after": ["aaaaaaaaaa", "aaaaaaaaaa"], "after_any": ["bbbbbbbbbb"],
             "inputs": ["job:cccccccccc/0/video.mp4", "job:aaaaaaaaaa"]}
            """
        )
        #expect(spec.after == ["aaaaaaaaaa"])
        #expect(
            spec.dependencies == [
                Dependency(jobID: "aaaaaaaaaa", condition: .succeeded),
                Dependency(jobID: "cccccccccc", condition: .succeeded),
                Dependency(jobID: "bbbbbbbbbb", condition: .ended),
            ]
        )
    }

    @Test("bad dependencies and job: inputs are refused naming the field")
    func refusals() {
        #expect(refusal(#"{"image": "i", "after": ["nope"]}"#)?.field == "after[0]")
        #expect(refusal(#"{"image": "i", "after": "aaaaaaaaaa"}"#)?.field == "after")
        #expect(
            refusal(#"{"image": "i", "after": ["aaaaaaaaaa"], "after_any": ["aaaaaaaaaa"]}"#)?.field == "after_any[0]"
        )
        #expect(refusal(#"{"image": "i", "inputs": ["job:short/video.mp4"]}"#)?.field == "inputs[0]")
        #expect(refusal(#"{"image": "i", "inputs": ["job:aaaaaaaaaa/../x"]}"#)?.field == "inputs[0]")
        #expect(refusal(#"{"image": "i", "inputs": ["relative.mp4"]}"#)?.field == "inputs[0]")
        #expect(refusal(#"{"image": "i", "kind": "upscale"}"#)?.field == "inputs")
        #expect(
            refusal(#"{"image": "i", "upscale": {"control_weight": 0.5}, "inputs": ["/v.mp4"]}"#)?.field == "upscale"
        )
        #expect(
            refusal(#"{"image": "i", "kind": "upscale", "inputs": ["/v.mp4"], "upscale": {"control_weight": 2}}"#)?
                .field == "upscale.control_weight"
        )
    }

    @Test("job: inputs resolve to the named output, or to the one video; missing and ambiguous ones say why")
    func resolve() {
        let outputs = ["meta/info.txt", "video.mp4"]
        #expect(JobInput(parsing: "job:aaaaaaaaaa")?.resolve(in: outputs) == .success("video.mp4"))
        #expect(JobInput(parsing: "job:aaaaaaaaaa/meta/info.txt")?.resolve(in: outputs) == .success("meta/info.txt"))
        guard case .failure(let missing) = JobInput(parsing: "job:aaaaaaaaaa/x.mp4")?.resolve(in: outputs) else {
            Issue.record("a missing file resolved")
            return
        }
        #expect(missing.description.contains("has no output \"x.mp4\""))
        #expect(JobInput(parsing: "job:aaaaaaaaaa")?.resolve(in: ["a.txt"]) == .failure(.noVideo(jobID: "aaaaaaaaaa")))
        #expect(
            JobInput(parsing: "job:aaaaaaaaaa")?.resolve(in: ["a.mp4", "b.MOV"])
                == .failure(.severalVideos(jobID: "aaaaaaaaaa", videos: ["a.mp4", "b.MOV"]))
        )
        #expect(JobInput(parsing: "/data/x.mp4") == nil)
    }

    @Test("a spec stored before dependencies existed still decodes")
    func oldStoredSpec() throws {
        let old =
            #"{"kind":"inference","image":"i","env":{},"gpus":1,"priority":0,"controls":{},"params":{},"inputs":[],"retries":0}"#
        let spec = try JSONDecoder().decode(JobSpec.self, from: Data(old.utf8))
        #expect(spec.after.isEmpty && spec.afterAny.isEmpty && spec.upscale == nil && spec.sourceJobID == nil)
    }

    @Test("a spec is stored without its defaults and reads back equal, defaults or not")
    func compactStorage() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let plain = JobSpec(image: "r/i:1")
        #expect(
            String(decoding: try encoder.encode(plain), as: UTF8.self)
                == #"{"gpus":1,"image":"r/i:1","kind":"inference"}"#
        )
        #expect(try JSONDecoder().decode(JobSpec.self, from: encoder.encode(plain)) == plain)

        var full = JobSpec(name: "n", image: "r/i:1", prompt: "p")
        full.command = ["run"]
        full.env = ["A": "1"]
        full.gpus = 2
        full.priority = -3
        full.controls = ["edge": 0.5]
        full.params = ["seed": .number(7)]
        full.inputs = ["/data/in.mp4"]
        full.retries = 2
        full.memoryBytes = 1 << 30
        full.minGPUMemoryGiB = 40
        full.selector = [:]
        full.after = ["aaaaaaaaaa"]
        full.afterAny = ["bbbbbbbbbb"]
        full.sourceJobID = "cccccccccc"
        #expect(try JSONDecoder().decode(JobSpec.self, from: encoder.encode(full)) == full)
    }
}
