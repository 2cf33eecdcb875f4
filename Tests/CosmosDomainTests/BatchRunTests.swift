import CosmosDomain
import Testing

@Suite("Batch runs")
struct BatchRunTests {
    func item(_ controls: [String: Double] = ["edge": 0.5], params: [String: JSONValue] = [:]) -> JobSpec {
        JobSpec(image: "cosmos:1", command: ["run"], env: ["A": "1"], gpus: 1, controls: controls, params: params)
    }

    @Test("compatible items make a parent with the shared image, command, env, GPUs and run-level params")
    func parent() throws {
        let items = [
            item(params: ["steps": .number(35), "seed": .number(1)]),
            item(params: ["steps": .number(35), "seed": .number(2)]),
        ]
        let parent = try BatchRun.parentSpec(for: items, limits: .init())
        #expect(parent.kind == .inference && parent.image == "cosmos:1" && parent.command == ["run"])
        #expect(parent.env == ["A": "1"] && parent.gpus == 1 && parent.params == ["steps": .number(35)])
    }

    @Test(
        "the first item that differs is named with the field",
        arguments: [
            (JobSpec(kind: .upscale, image: "cosmos:1", command: ["run"], env: ["A": "1"]), "items[1].kind"),
            (JobSpec(image: "other:2", command: ["run"], env: ["A": "1"]), "items[1].image"),
            (JobSpec(image: "cosmos:1", command: ["go"], env: ["A": "1"]), "items[1].command"),
            (JobSpec(image: "cosmos:1", command: ["run"], env: ["A": "2"]), "items[1].env"),
            (JobSpec(image: "cosmos:1", command: ["run"], env: ["A": "1"], gpus: 2), "items[1].gpus"),
            (
                JobSpec(image: "cosmos:1", command: ["run"], env: ["A": "1"], params: ["steps": .number(10)]),
                "items[1].params.steps"
            ),
        ]
    )
    func refusals(second: JobSpec, field: String) {
        #expect {
            try BatchRun.parentSpec(for: [item(), second], limits: .init())
        } throws: { error in
            (error as? SpecError)?.field == field
        }
    }

    @Test("limits by active controls: 8 for one, 4 for two, 2 for three or more; the message has the limit")
    func limits() throws {
        let limits = BatchRun.Limits()
        #expect(limits.maxItems(controls: 0) == 8 && limits.maxItems(controls: 1) == 8)
        #expect(limits.maxItems(controls: 2) == 4 && limits.maxItems(controls: 3) == 2)
        _ = try BatchRun.parentSpec(for: Array(repeating: item(), count: 8), limits: limits)
        let three = ["vis": 0.2, "edge": 0.5, "depth": 0.3]
        #expect {
            try BatchRun.parentSpec(for: Array(repeating: item(three), count: 3), limits: limits)
        } throws: { error in
            "\(error)".contains("holds at most 2")
        }
    }

    @Test("progress lines parse; anything else does not")
    func progress() {
        #expect(BatchRun.Progress.parse("##cosmos progress index=2 state=running") == .init(index: 2, state: .running))
        #expect(
            BatchRun.Progress.parse("##cosmos progress index=1 state=failed out of memory on item ")
                == .init(index: 1, state: .failed, message: "out of memory on item")
        )
        #expect(BatchRun.Progress.parse("##cosmos progress index=x state=running") == nil)
        #expect(BatchRun.Progress.parse("##cosmos progress index=1 state=done") == nil)
        #expect(BatchRun.Progress.parse("progress index=1 state=running") == nil)
    }

    @Test("verdicts: the manifest decides; missing items and a missing manifest fail with the reason")
    func verdicts() {
        let manifest = BatchRun.Manifest(items: [
            .init(index: 0, status: "succeeded", outputs: ["0/video.mp4", "../escape", "/abs", "0/ghost.mp4"]),
            .init(index: 1, status: "failed", error: "bad prompt"),
            .init(index: 3, status: "cancelled"),
        ])
        let verdicts = BatchRun.verdicts(
            indices: [0, 1, 2, 3],
            manifest: manifest,
            files: ["0/video.mp4", "manifest.json"],
            manifestError: nil
        )
        #expect(verdicts[0] == .succeeded(outputs: ["0/video.mp4"]))
        #expect(verdicts[1] == .failed(error: "bad prompt"))
        #expect(verdicts[2] == .failed(error: "item 2 is missing from the manifest"))
        #expect(verdicts[3] == .cancelled)
        let none = BatchRun.verdicts(indices: [0], manifest: nil, files: [], manifestError: "the run wrote no manifest")
        #expect(none[0] == .failed(error: "the run wrote no manifest"))
    }
}
