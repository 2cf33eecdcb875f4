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
    /// Jobs that must all succeed before this one starts (`after`, Slurm's `afterok`).
    public var after: [String]
    /// Jobs that must all have ended, whatever the result, before this one starts (`after_any`).
    public var afterAny: [String]
    /// The upscale settings of an `upscale` job (`upscale`).
    public var upscale: UpscaleSettings?
    /// The job whose output an upscale job upscales; set by `cosmosctl upscale --from-job`, never submitted.
    public var sourceJobID: String?
    /// How an enhance run's parent applies its prompts (`enhance`); set by `cosmosctl enhance-batch`, never
    /// submitted.
    public var enhance: EnhanceSettings?

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
        selector: [String: String]? = nil,
        after: [String] = [],
        afterAny: [String] = [],
        upscale: UpscaleSettings? = nil,
        sourceJobID: String? = nil,
        enhance: EnhanceSettings? = nil
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
        self.after = after
        self.afterAny = afterAny
        self.upscale = upscale
        self.sourceJobID = sourceJobID
        self.enhance = enhance
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, image, command, env, gpus, priority, prompt, controls, params, inputs, retries
        case memoryBytes = "memory_bytes"
        case minGPUMemoryGiB = "min_gpu_memory_gib"
        case selector, after
        case afterAny = "after_any"
        case upscale
        case sourceJobID = "source_job_id"
        case enhance
    }

    /// Decodes a stored spec; keys added in later versions may be missing from specs stored before them.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try c.decodeIfPresent(String.self, forKey: .name)
        self.kind = try c.decode(JobKind.self, forKey: .kind)
        self.image = try c.decode(String.self, forKey: .image)
        self.command = try c.decodeIfPresent([String].self, forKey: .command)
        self.env = try c.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        self.gpus = try c.decode(Int.self, forKey: .gpus)
        self.priority = try c.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        self.prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        self.controls = try c.decodeIfPresent([String: Double].self, forKey: .controls) ?? [:]
        self.params = try c.decodeIfPresent([String: JSONValue].self, forKey: .params) ?? [:]
        self.inputs = try c.decodeIfPresent([String].self, forKey: .inputs) ?? []
        self.retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 0
        self.memoryBytes = try c.decodeIfPresent(Int64.self, forKey: .memoryBytes)
        self.minGPUMemoryGiB = try c.decodeIfPresent(Double.self, forKey: .minGPUMemoryGiB)
        self.selector = try c.decodeIfPresent([String: String].self, forKey: .selector)
        self.after = try c.decodeIfPresent([String].self, forKey: .after) ?? []
        self.afterAny = try c.decodeIfPresent([String].self, forKey: .afterAny) ?? []
        self.upscale = try c.decodeIfPresent(UpscaleSettings.self, forKey: .upscale)
        self.sourceJobID = try c.decodeIfPresent(String.self, forKey: .sourceJobID)
        self.enhance = try c.decodeIfPresent(EnhanceSettings.self, forKey: .enhance)
    }

    /// What the job waits for: every `after` job (and the job of every `job:` input) must succeed, every
    /// `after_any` job must end. Each id appears once; `after` wins over `after_any`.
    public var dependencies: [Dependency] {
        var seen: Set<String> = []
        var result: [Dependency] = []
        for id in after + inputs.compactMap({ JobInput(parsing: $0)?.jobID }) where seen.insert(id).inserted {
            result.append(Dependency(jobID: id, condition: .succeeded))
        }
        for id in afterAny where seen.insert(id).inserted {
            result.append(Dependency(jobID: id, condition: .ended))
        }
        return result
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
