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
