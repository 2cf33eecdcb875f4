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
    /// Encodes the fields that differ from their defaults only; ``init(from:)`` gives the others back.
    ///
    /// Every job's spec is stored this way, so a row is shorter and reading it (a listing reads one per job) does
    /// not decode empty collections. Specs stored whole by earlier versions read the same.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(image, forKey: .image)
        try c.encodeIfPresent(command, forKey: .command)
        if !env.isEmpty { try c.encode(env, forKey: .env) }
        try c.encode(gpus, forKey: .gpus)
        if priority != 0 { try c.encode(priority, forKey: .priority) }
        try c.encodeIfPresent(prompt, forKey: .prompt)
        if !controls.isEmpty { try c.encode(controls, forKey: .controls) }
        if !params.isEmpty { try c.encode(params, forKey: .params) }
        if !inputs.isEmpty { try c.encode(inputs, forKey: .inputs) }
        if retries != 0 { try c.encode(retries, forKey: .retries) }
        try c.encodeIfPresent(memoryBytes, forKey: .memoryBytes)
        try c.encodeIfPresent(minGPUMemoryGiB, forKey: .minGPUMemoryGiB)
        try c.encodeIfPresent(selector, forKey: .selector)
        if !after.isEmpty { try c.encode(after, forKey: .after) }
        if !afterAny.isEmpty { try c.encode(afterAny, forKey: .afterAny) }
        try c.encodeIfPresent(upscale, forKey: .upscale)
        try c.encodeIfPresent(sourceJobID, forKey: .sourceJobID)
        try c.encodeIfPresent(enhance, forKey: .enhance)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Stored specs leave out their defaults: asking whether a key is there first skips the decoder's generic
        // call (the larger part of a listing's cost per row) for every absent one.
        func present<T: Decodable>(_ type: T.Type, _ key: CodingKeys) throws -> T? {
            c.contains(key) ? try c.decodeIfPresent(type, forKey: key) : nil
        }
        self.name = try present(String.self, .name)
        self.kind = try c.decode(JobKind.self, forKey: .kind)
        self.image = try c.decode(String.self, forKey: .image)
        self.command = try present([String].self, .command)
        self.env = try present([String: String].self, .env) ?? [:]
        self.gpus = try c.decode(Int.self, forKey: .gpus)
        self.priority = try present(Int.self, .priority) ?? 0
        self.prompt = try present(String.self, .prompt)
        self.controls = try present([String: Double].self, .controls) ?? [:]
        self.params = try present([String: JSONValue].self, .params) ?? [:]
        self.inputs = try present([String].self, .inputs) ?? []
        self.retries = try present(Int.self, .retries) ?? 0
        self.memoryBytes = try present(Int64.self, .memoryBytes)
        self.minGPUMemoryGiB = try present(Double.self, .minGPUMemoryGiB)
        self.selector = try present([String: String].self, .selector)
        self.after = try present([String].self, .after) ?? []
        self.afterAny = try present([String].self, .afterAny) ?? []
        self.upscale = try present(UpscaleSettings.self, .upscale)
        self.sourceJobID = try present(String.self, .sourceJobID)
        self.enhance = try present(EnhanceSettings.self, .enhance)
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
