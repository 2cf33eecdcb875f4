import CosmosDomain
import Foundation

/// A job as `cosmosctl show --json` prints it; every field is always present (null when unknown).
public struct JobView: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    /// The displayed kind: the workload, or `batch` for a batch-run parent.
    public var kind: String
    public var state: JobState
    /// The 1-based queue rank, or nil when not queued or held.
    public var position: Int?
    public var priority: Int
    public var image: String
    public var command: [String]?
    public var gpus: Int
    /// The host's name.
    public var host: String?
    public var devices: [String]
    public var containerId: String?
    public var exitCode: Int?
    public var attempts: Int
    public var error: String?
    public var reason: String?
    public var pendingReason: String?
    public var ownerUid: Int
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    public var outputs: [String]
    public var batchId: String?
    public var parentId: String?
    public var batchIndex: Int?
    public var prompt: String?
    public var controls: [String: Double]
    /// A batch run's items, in index order (`show` of a parent only).
    public var children: [JobView]?
    /// How far a running job says it is (0...1, from its progress lines); null when it says nothing.
    public var progress: Double?
    /// Jobs that must succeed before this one starts (with those of its `job:` inputs).
    public var after: [String] = []
    /// Jobs that must end, whatever the result, before this one starts.
    public var afterAny: [String] = []
    /// The jobs that wait for this one (`show` only).
    public var dependents: [String]?
    /// The job an upscale job upscales; null for an upscale of a file and for other kinds.
    public var sourceJobId: String?
    /// The upscale jobs made from this job (`show` only).
    public var upscales: [String]?
    /// The prompt an enhance run's item returned for its source job; null for every other job.
    public var enhancedPrompt: String?
    /// An enhance run's mode, `update` or `create_new` (the parent and its items); null for every other job.
    public var enhanceMode: String?
    /// GPUs times run time over every attempt so far, in seconds; a batch-run item holds its share of the run.
    public var gpuSeconds: Double = 0

    public init(
        id: String,
        name: String?,
        kind: String,
        state: JobState,
        position: Int?,
        priority: Int,
        image: String,
        command: [String]?,
        gpus: Int,
        host: String?,
        devices: [String],
        containerId: String?,
        exitCode: Int?,
        attempts: Int,
        error: String?,
        reason: String?,
        pendingReason: String?,
        ownerUid: Int,
        createdAt: String,
        startedAt: String?,
        finishedAt: String?,
        outputs: [String],
        batchId: String?,
        parentId: String?,
        batchIndex: Int?,
        prompt: String?,
        controls: [String: Double],
        progress: Double? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.state = state
        self.position = position
        self.priority = priority
        self.image = image
        self.command = command
        self.gpus = gpus
        self.host = host
        self.devices = devices
        self.containerId = containerId
        self.exitCode = exitCode
        self.attempts = attempts
        self.error = error
        self.reason = reason
        self.pendingReason = pendingReason
        self.ownerUid = ownerUid
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outputs = outputs
        self.batchId = batchId
        self.parentId = parentId
        self.batchIndex = batchIndex
        self.prompt = prompt
        self.controls = controls
        self.progress = progress
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kind, state, position, priority, image, command, gpus, host, devices
        case containerId = "container_id"
        case exitCode = "exit_code"
        case attempts, error, reason
        case pendingReason = "pending_reason"
        case ownerUid = "owner_uid"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case outputs
        case batchId = "batch_id"
        case parentId = "parent_id"
        case batchIndex = "batch_index"
        case prompt, controls, children, progress, after
        case afterAny = "after_any"
        case dependents
        case sourceJobId = "source_job_id"
        case upscales
        case enhancedPrompt = "enhanced_prompt"
        case enhanceMode = "enhance_mode"
        case gpuSeconds = "gpu_seconds"
    }

    /// Encodes every key, writing `null` for absent values (scripts rely on the keys being there).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(position, forKey: .position)
        try c.encode(priority, forKey: .priority)
        try c.encode(image, forKey: .image)
        try c.encode(command, forKey: .command)
        try c.encode(gpus, forKey: .gpus)
        try c.encode(host, forKey: .host)
        try c.encode(devices, forKey: .devices)
        try c.encode(containerId, forKey: .containerId)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(error, forKey: .error)
        try c.encode(reason, forKey: .reason)
        try c.encode(pendingReason, forKey: .pendingReason)
        try c.encode(ownerUid, forKey: .ownerUid)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(batchId, forKey: .batchId)
        try c.encode(parentId, forKey: .parentId)
        try c.encode(batchIndex, forKey: .batchIndex)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(controls, forKey: .controls)
        try c.encodeIfPresent(children, forKey: .children)
        try c.encode(progress, forKey: .progress)
        try c.encode(after, forKey: .after)
        try c.encode(afterAny, forKey: .afterAny)
        try c.encodeIfPresent(dependents, forKey: .dependents)
        try c.encode(sourceJobId, forKey: .sourceJobId)
        try c.encodeIfPresent(upscales, forKey: .upscales)
        try c.encode(enhancedPrompt, forKey: .enhancedPrompt)
        try c.encode(enhanceMode, forKey: .enhanceMode)
        try c.encode(gpuSeconds, forKey: .gpuSeconds)
    }

    /// Decodes a view; the keys added with dependencies and enhance runs may be missing from an older daemon's answer.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        kind = try c.decode(String.self, forKey: .kind)
        state = try c.decode(JobState.self, forKey: .state)
        position = try c.decodeIfPresent(Int.self, forKey: .position)
        priority = try c.decode(Int.self, forKey: .priority)
        image = try c.decode(String.self, forKey: .image)
        command = try c.decodeIfPresent([String].self, forKey: .command)
        gpus = try c.decode(Int.self, forKey: .gpus)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        devices = try c.decode([String].self, forKey: .devices)
        containerId = try c.decodeIfPresent(String.self, forKey: .containerId)
        exitCode = try c.decodeIfPresent(Int.self, forKey: .exitCode)
        attempts = try c.decode(Int.self, forKey: .attempts)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        pendingReason = try c.decodeIfPresent(String.self, forKey: .pendingReason)
        ownerUid = try c.decode(Int.self, forKey: .ownerUid)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        startedAt = try c.decodeIfPresent(String.self, forKey: .startedAt)
        finishedAt = try c.decodeIfPresent(String.self, forKey: .finishedAt)
        outputs = try c.decode([String].self, forKey: .outputs)
        batchId = try c.decodeIfPresent(String.self, forKey: .batchId)
        parentId = try c.decodeIfPresent(String.self, forKey: .parentId)
        batchIndex = try c.decodeIfPresent(Int.self, forKey: .batchIndex)
        prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        controls = try c.decode([String: Double].self, forKey: .controls)
        children = try c.decodeIfPresent([JobView].self, forKey: .children)
        progress = try c.decodeIfPresent(Double.self, forKey: .progress)
        after = try c.decodeIfPresent([String].self, forKey: .after) ?? []
        afterAny = try c.decodeIfPresent([String].self, forKey: .afterAny) ?? []
        dependents = try c.decodeIfPresent([String].self, forKey: .dependents)
        sourceJobId = try c.decodeIfPresent(String.self, forKey: .sourceJobId)
        upscales = try c.decodeIfPresent([String].self, forKey: .upscales)
        enhancedPrompt = try c.decodeIfPresent(String.self, forKey: .enhancedPrompt)
        enhanceMode = try c.decodeIfPresent(String.self, forKey: .enhanceMode)
        gpuSeconds = try c.decodeIfPresent(Double.self, forKey: .gpuSeconds) ?? 0
    }
}
