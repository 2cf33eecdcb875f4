import CosmosDomain
import Testing

/// The pure rules of enhance runs: which jobs can be sources, the items' specs, and what the run's end does.
@Suite("Enhance runs")
struct EnhanceRunTests {
    @Test("a source is a queued or held single inference job with a prompt")
    func refusals() {
        #expect(EnhanceRun.refusal(kind: .inference, shape: .single, state: .queued, prompt: "p") == nil)
        #expect(EnhanceRun.refusal(kind: .inference, shape: .single, state: .held, prompt: "p") == nil)
        let cases: [(JobKind, RunShape, JobState, String?, String)] = [
            (.inference, .single, .running, "p", "is running; only queued or held jobs can be enhanced"),
            (.inference, .single, .succeeded, "p", "is succeeded; only queued or held jobs can be enhanced"),
            (.upscale, .single, .queued, "p", "is an upscale job; only inference prompts are enhanced"),
            (.inference, .batchParent, .queued, "p", "is a batch run; name its items' jobs before they are batched"),
            (.inference, .batchItem, .queued, "p", "rides in a batch run; its prompt is fixed for that run"),
            (.inference, .single, .queued, nil, "has no prompt to enhance"),
            (.inference, .single, .queued, "", "has no prompt to enhance"),
        ]
        for (kind, shape, state, prompt, reason) in cases {
            #expect(EnhanceRun.refusal(kind: kind, shape: shape, state: state, prompt: prompt) == reason)
        }
    }

    @Test("an item carries the source's prompt, its id, its video file (not a job: input) and the run's container")
    func itemSpec() {
        let parent = JobSpec(
            kind: .enhance,
            image: "upsampler",
            command: ["run"],
            gpus: 2,
            enhance: EnhanceSettings(mode: .update, model: "m")
        )
        let source = JobSpec(
            name: "shot",
            image: "cosmos",
            priority: 3,
            prompt: "a cat",
            controls: ["edge": 0.5],
            inputs: ["job:abc/video.mp4", "/data/notes.txt", "/data/clip.MP4"]
        )
        let item = EnhanceRun.itemSpec(for: source, sourceID: "src1", parent: parent)
        #expect(item.kind == .enhance && item.image == "upsampler" && item.command == ["run"] && item.gpus == 2)
        #expect(item.prompt == "a cat" && item.sourceJobID == "src1" && item.name == "enhance shot")
        #expect(item.inputs == ["/data/clip.MP4"])
        #expect(item.controls.isEmpty && item.dependencies.isEmpty)
        #expect(item.enhance == parent.enhance)
        #expect(
            EnhanceRun.itemSpec(for: JobSpec(image: "i", prompt: "p"), sourceID: "s", parent: parent).name
                == "enhance s"
        )
    }

    @Test("the run's end rewrites queued or held sources, copies live ones, and never revives ended ones")
    func decisions() {
        let cases: [(EnhanceSettings.Mode, JobState, EnhanceRun.Decision)] = [
            (.update, .queued, .rewrite),
            (.update, .held, .rewrite),
            (.update, .running, .leaveAlone("the source started meanwhile (running); its prompt was left alone")),
            (.update, .succeeded, .leaveAlone("the source started meanwhile (succeeded); its prompt was left alone")),
            (.update, .cancelled, .leaveAlone("the source was cancelled meanwhile; not revived")),
            (.createNew, .queued, .copy),
            (.createNew, .running, .copy),
            (.createNew, .failed, .leaveAlone("the source was failed meanwhile; not revived")),
        ]
        for (mode, state, decision) in cases {
            #expect(EnhanceRun.decision(for: state, mode: mode) == decision, "\(mode) \(state)")
        }
        #expect(EnhanceRun.copyName(of: "shot 1", id: "x") == "shot 1 (enhanced)")
        #expect(EnhanceRun.copyName(of: nil, id: "x") == "x (enhanced)")
    }

    @Test("a succeeded item must return a usable prompt in the manifest")
    func manifestPrompts() {
        let manifest = BatchRun.Manifest(items: [
            .init(index: 0, status: "succeeded", prompt: "better"),
            .init(index: 1, status: "succeeded"),
            .init(index: 2, status: "succeeded", prompt: "  "),
            .init(index: 3, status: "failed", error: "model said no"),
            .init(index: 4, status: "succeeded", prompt: String(repeating: "x", count: SpecLimits.maxPromptBytes + 1)),
        ])
        let verdicts = BatchRun.verdicts(
            indices: [0, 1, 2, 3, 4],
            manifest: manifest,
            files: [],
            manifestError: nil,
            prompts: true
        )
        #expect(verdicts[0] == .enhanced(prompt: "better", outputs: []))
        #expect(verdicts[1] == .failed(error: "item 1 succeeded but the manifest gives it no prompt"))
        #expect(verdicts[2] == .failed(error: "item 2: the run returned an empty prompt"))
        #expect(verdicts[3] == .failed(error: "model said no"))
        #expect(verdicts[4] == .failed(error: "item 4: the enhanced prompt is longer than 65536 bytes"))
        // An inference run ignores a prompt key.
        #expect(
            BatchRun.verdicts(indices: [0], manifest: manifest, files: [], manifestError: nil)[0]
                == .succeeded(outputs: [])
        )
    }
}
