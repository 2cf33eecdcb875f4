/// How an enhance run's parent applies the prompts its container returns: the spec's `enhance` object.
public struct EnhanceSettings: Sendable, Equatable, Codable {
    /// What becomes of the source jobs.
    public enum Mode: String, Sendable, Equatable, Codable {
        /// Rewrite each source's prompt in place (`--update`); the sources are held while the run goes.
        case update
        /// Queue a copy of each source with the enhanced prompt, right after it (`--create-new`).
        case createNew = "create_new"
    }

    public var mode: Mode
    /// The prompt-upsampling model the container should load; nil leaves it to the image.
    public var model: String?

    public init(mode: Mode, model: String? = nil) {
        self.mode = mode
        self.model = model
    }
}

/// Batch prompt enhancement (seed 004, Phase 3): one container enhances the prompts of many queued jobs (pure).
///
/// The run is a batch-run parent of kind `enhance` (displayed `enhance_batch`). Each item is a new job of kind
/// `enhance` linked to its source job by `source_job_id`; the container returns each item's enhanced prompt in
/// the manifest, and the run's end applies them to the sources, as ``decision(for:mode:)`` says.
public enum EnhanceRun {
    /// The most source jobs one run takes: every prompt is in one `job.json`.
    public static let maxSources = 1000

    /// Why a job cannot be a source of an enhance run; nil when it can.
    ///
    /// A source is a queued or held single inference job with a prompt.
    public static func refusal(kind: JobKind, shape: RunShape, state: JobState, prompt: String?) -> String? {
        guard shape == .single else {
            return shape == .batchParent
                ? "is a batch run; name its items' jobs before they are batched"
                : "rides in a batch run; its prompt is fixed for that run"
        }
        guard kind == .inference else { return "is an \(kind.rawValue) job; only inference prompts are enhanced" }
        guard state.isInQueue else { return "is \(state.rawValue); only queued or held jobs can be enhanced" }
        guard let prompt, !prompt.isEmpty else { return "has no prompt to enhance" }
        return nil
    }

    /// The spec of the item that enhances `source`'s prompt inside a run with spec `parent`.
    ///
    /// It carries the source's prompt and `source_job_id`, and the source's input video when it has one as a
    /// file (a `job:` input may not exist yet, so it is left out).
    public static func itemSpec(for source: JobSpec, sourceID: String, parent: JobSpec) -> JobSpec {
        var spec = JobSpec(
            name: "enhance \(source.name ?? sourceID)",
            kind: .enhance,
            image: parent.image,
            command: parent.command,
            env: parent.env,
            gpus: parent.gpus,
            priority: source.priority,
            prompt: source.prompt,
            memoryBytes: parent.memoryBytes
        )
        if let video = source.inputs.first(where: { JobInput(parsing: $0) == nil && JobInput.isVideo($0) }) {
            spec.inputs = [video]
        }
        spec.sourceJobID = sourceID
        spec.enhance = parent.enhance
        return spec
    }

    /// What the run's end does with one source, whose item returned a valid prompt.
    public enum Decision: Sendable, Equatable {
        /// Rewrite the source's prompt (`--update`, the source still queued or held).
        case rewrite
        /// Queue a copy with the new prompt right after the source (`--create-new`).
        case copy
        /// Change nothing, for the reason given (reported on the item).
        case leaveAlone(String)
    }

    /// The decision for a source in `state` under `mode`: a source that started meanwhile is left alone, and a
    /// cancelled or failed one is never revived.
    public static func decision(for state: JobState, mode: EnhanceSettings.Mode) -> Decision {
        switch (mode, state) {
        case (.update, .queued), (.update, .held):
            return .rewrite
        case (_, .cancelled), (_, .failed):
            return .leaveAlone("the source was \(state.rawValue) meanwhile; not revived")
        case (.update, _):
            return .leaveAlone("the source started meanwhile (\(state.rawValue)); its prompt was left alone")
        case (.createNew, _):
            return .copy
        }
    }

    /// Why an enhanced prompt the container returned is unusable; nil when it is fine.
    public static func problem(with prompt: String) -> String? {
        if prompt.allSatisfy(\.isWhitespace) { return "the run returned an empty prompt" }
        if prompt.utf8.count > SpecLimits.maxPromptBytes {
            return "the enhanced prompt is longer than \(SpecLimits.maxPromptBytes) bytes"
        }
        return nil
    }

    /// The name of a `--create-new` copy: `<name> (enhanced)`, or `<id> (enhanced)` for an unnamed source.
    public static func copyName(of name: String?, id: String) -> String {
        "\(name ?? id) (enhanced)"
    }

    /// The reason a source has while a `--update` run holds it.
    public static func holdReason(parentID: String) -> String {
        "held while enhance run \(parentID) rewrites its prompt"
    }
}
