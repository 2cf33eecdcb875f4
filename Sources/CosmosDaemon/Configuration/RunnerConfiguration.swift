import CosmosDomain
import Foundation

/// One `[[runners]]` entry: images that do not speak the runner contract, and the adapter that runs them unchanged.
///
/// A job whose image matches runs `python3 /cosmos/bin/<adapter>.py` instead of a command of its own: the adapter
/// (shipped inside cosmos-worker, staged with the job's archive) reads `/cosmos/job.json`, writes Cosmos's own
/// spec files, runs Cosmos, and writes the outputs and the manifest. `shm_size` and `ipc` are set only here: a job
/// can never ask for them.
public struct RunnerConfiguration: Sendable, Equatable {
    /// The adapters that ship with cosmos-worker.
    public enum Adapter: String, Sendable, Equatable, CaseIterable {
        /// NVIDIA Cosmos-Transfer1: `cosmos_transfer1/diffusion/inference/transfer.py`.
        case transfer1 = "cosmos-transfer1"
        /// NVIDIA Cosmos-Transfer2.5: `examples/inference.py -i ... -o ...`.
        case transfer25 = "cosmos-transfer2.5"
        /// Cosmos-Transfer1's prompt upsampler, for enhance runs.
        case promptUpsampler = "cosmos-prompt-upsampler"

        /// The adapter's script under `/cosmos/bin/`.
        public var script: String {
            switch self {
            case .transfer1: "cosmos_transfer1.py"
            case .transfer25: "cosmos_transfer2_5.py"
            case .promptUpsampler: "cosmos_prompt_upsampler.py"
            }
        }

        /// The kinds of job the adapter runs.
        public var kinds: [JobKind] {
            switch self {
            case .transfer1: [.inference, .upscale]
            case .transfer25: [.inference]
            case .promptUpsampler: [.enhance]
            }
        }

        /// The `offload` names the adapter turns into Cosmos flags.
        public var offloads: [String] {
            switch self {
            case .transfer1: ["diffusion_transformer", "text_encoder", "guardrail", "prompt_upsampler"]
            case .transfer25: ["guardrail"]
            case .promptUpsampler: ["prompt_upsampler"]
            }
        }

        /// The controls the model knows (a job naming another is refused at submit).
        public var controls: [String] {
            switch self {
            case .transfer1: ["vis", "seg", "edge", "depth", "keypoint", "hdmap", "lidar"]
            case .transfer25: ["vis", "seg", "edge", "depth"]
            case .promptUpsampler: []
            }
        }

        /// The job `params` the adapter maps to Cosmos flags or spec keys (another is refused at submit).
        public var params: [String] {
            switch self {
            case .transfer1:
                [
                    "num_steps", "guidance", "seed", "sigma_max", "fps", "negative_prompt", "blur_strength",
                    "canny_threshold", "use_distilled", "control_inputs",
                ]
            case .transfer25: ["num_steps", "guidance", "seed", "negative_prompt", "control_inputs"]
            case .promptUpsampler: []
            }
        }
    }

    /// The IPC namespaces an operator may give the containers (`ipc`).
    public enum IPCMode: String, Sendable, Equatable, CaseIterable {
        /// The container's own namespace (Docker's default).
        case `private`
        /// Its own namespace, which other containers could join.
        case shareable
        /// The host's namespace: no IPC isolation, as some multi-GPU setups need.
        case host
    }

    /// The image pattern (`*` matches any run of characters); the first entry that matches applies.
    public var match: String
    /// Which adapter runs the image.
    public var adapter: Adapter
    /// Where the Cosmos code lives in the image (the adapter runs Cosmos from there).
    public var repoDir: String = "/workspace"
    /// Where the checkpoints are in the container (bring them in with the host's `mounts`).
    public var checkpointDir: String = "/workspace/checkpoints"
    /// `/dev/shm`'s size in bytes; nil: the engine's default (64 MiB).
    public var shmBytes: Int64?
    /// The IPC namespace; nil: the engine's default (`private`, or `shareable` on some engines).
    public var ipcMode: IPCMode?
    /// Model parts to offload to the CPU, in the adapter's names (``Adapter/offloads``).
    public var offload: [String] = []

    public init(match: String, adapter: Adapter) {
        self.match = match
        self.adapter = adapter
    }

    /// Whether the entry applies to `image`.
    public func matches(_ image: String) -> Bool {
        ImageAllowlist(patterns: [match]).allows(image)
    }

    /// The adapter's settings as `/cosmos/bin/runner.json` holds them.
    var document: JSONValue {
        .object([
            "adapter": .string(adapter.rawValue),
            "repo_dir": .string(repoDir),
            "checkpoint_dir": .string(checkpointDir),
            "offload": .array(offload.map(JSONValue.string)),
        ])
    }
}

extension Array where Element == RunnerConfiguration {
    /// The first entry whose pattern matches `image`, if any.
    public func runner(for image: String) -> RunnerConfiguration? {
        first { $0.matches(image) }
    }
}
