/// What a user asks to run: the validated form of one submitted job.
///
/// Only these fields exist; a user can never pass raw Docker options (mounts, network, privileges,
/// devices). The daemon builds every container configuration itself from a spec.
public struct JobSpec: Sendable, Equatable, Codable {
    public var name: String?
    public var kind: JobKind
    public var image: String
    public var command: [String]?
    public var env: [String: String]
    public var gpus: Int
    public var priority: Int
    public var prompt: String?
    /// Control name (`vis`, `edge`, `depth`, `seg`, ...) to weight in [0, 1].
    public var controls: [String: Double]
    /// Model parameters, passed through to the container untouched.
    public var params: [String: JSONValue]
    /// Input files on the daemon's machine, staged into `/cosmos/in/`.
    public var inputs: [String]
    /// How many times a non-zero exit of the job's own command is retried.
    public var retries: Int
    /// The container memory limit in bytes, parsed from `"512m"` and the like.
    public var memoryBytes: Int64?
    /// The least GPU memory a host must have (`min_gpu_memory_gib`).
    public var minGPUMemoryGiB: Double?
    /// Host labels the job needs, such as `{"gpu": "a100"}` (`selector`).
    public var selector: [String: String]?

    public init(
        name: String? = nil,
        kind: JobKind = .inference,
        image: String,
        command: [String]? = nil,
        env: [String: String] = [:],
        gpus: Int = 1,
        priority: Int = 0,
        prompt: String? = nil,
        controls: [String: Double] = [:],
        params: [String: JSONValue] = [:],
        inputs: [String] = [],
        retries: Int = 0,
        memoryBytes: Int64? = nil,
        minGPUMemoryGiB: Double? = nil,
        selector: [String: String]? = nil
    ) {
        self.name = name
        self.kind = kind
        self.image = image
        self.command = command
        self.env = env
        self.gpus = gpus
        self.priority = priority
        self.prompt = prompt
        self.controls = controls
        self.params = params
        self.inputs = inputs
        self.retries = retries
        self.memoryBytes = memoryBytes
        self.minGPUMemoryGiB = minGPUMemoryGiB
        self.selector = selector
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, image, command, env, gpus, priority, prompt, controls, params, inputs, retries
        case memoryBytes = "memory_bytes"
        case minGPUMemoryGiB = "min_gpu_memory_gib"
        case selector
    }

    /// What placement needs to know of this job.
    public func placementRequest(jobID: String) -> PlacementRequest {
        PlacementRequest(jobID: jobID, gpus: gpus, minGPUMemoryGiB: minGPUMemoryGiB, selector: selector ?? [:])
    }

    /// Controls with a weight above zero, sorted: the job's control signature.
    public var activeControls: [String] {
        controls.filter { $0.value > 0 }.keys.sorted()
    }
}
