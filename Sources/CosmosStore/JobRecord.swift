import CosmosDomain
import Foundation
import GRDB

/// One row of the `job` table: everything needed to carry a job on after a restart.
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "job"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: String
    public var name: String?
    /// The workload (a batch-run parent's is its items'); shown as ``displayedKind``.
    public var kind: JobKind
    /// How it runs: alone, as a batch-run parent, or as an item of one.
    public var shape: RunShape
    public var state: JobState
    public var priority: Int
    /// The queue key within the priority level; kept while running so a retry returns to its place.
    public var seq: Int64
    public var image: String
    public var spec: JobSpec
    public var gpus: Int
    public var ownerUid: Int
    /// Attempts started so far (the current attempt's number while starting or running).
    public var attempts: Int
    /// `attempts` when a user last retried the job; retry budgets count from here.
    public var retryBase: Int
    public var host: String?
    public var devices: [String]
    public var containerId: String?
    public var exitCode: Int?
    public var oomKilled: Bool
    public var error: String?
    public var reason: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// A retried job does not start before this time (backoff).
    public var notBefore: Date?
    public var outputs: [String]
    public var batchId: String?
    public var parentId: String?
    public var batchIndex: Int?
    /// Held by its batch's pause (not by a user's hold of the job): the batch's resume releases it.
    public var heldByBatch: Bool
    /// How far the current attempt says it is (0...1), from its progress lines; nil when it says nothing.
    public var progress: Double?
    /// Seconds from the current attempt's start to its "model loaded" line; nil when it printed none.
    public var loadSeconds: Double?
    /// The job an upscale job was made from (`upscale --from-job`); nil otherwise.
    public var sourceJobId: String?
    /// The enhance run (`--update`) that holds this job while it rewrites its prompt; nil otherwise.
    public var heldByRun: String?
    /// The prompt an enhance run's item returned; nil for every other job.
    public var enhancedPrompt: String?
    /// GPUs times run time over every attempt, in seconds; a batch-run item holds its share of the run.
    public var gpuSeconds: Double

    /// A new job record; everything but the identity and the spec has a fresh-job default.
    public init(
        id: String,
        name: String? = nil,
        kind: JobKind,
        shape: RunShape = .single,
        state: JobState = .queued,
        priority: Int = 0,
        seq: Int64 = 0,
        image: String,
        spec: JobSpec,
        gpus: Int,
        ownerUid: Int,
        attempts: Int = 0,
        retryBase: Int = 0,
        host: String? = nil,
        devices: [String] = [],
        containerId: String? = nil,
        exitCode: Int? = nil,
        oomKilled: Bool = false,
        error: String? = nil,
        reason: String? = nil,
        createdAt: Date,
        startedAt: Date? = nil,
        finishedAt: Date? = nil,
        notBefore: Date? = nil,
        outputs: [String] = [],
        batchId: String? = nil,
        parentId: String? = nil,
        batchIndex: Int? = nil,
        heldByBatch: Bool = false,
        progress: Double? = nil,
        loadSeconds: Double? = nil,
        sourceJobId: String? = nil,
        heldByRun: String? = nil,
        enhancedPrompt: String? = nil,
        gpuSeconds: Double = 0
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.shape = shape
        self.state = state
        self.priority = priority
        self.seq = seq
        self.image = image
        self.spec = spec
        self.gpus = gpus
        self.ownerUid = ownerUid
        self.attempts = attempts
        self.retryBase = retryBase
        self.host = host
        self.devices = devices
        self.containerId = containerId
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.error = error
        self.reason = reason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.notBefore = notBefore
        self.outputs = outputs
        self.batchId = batchId
        self.parentId = parentId
        self.batchIndex = batchIndex
        self.heldByBatch = heldByBatch
        self.progress = progress
        self.loadSeconds = loadSeconds
        self.sourceJobId = sourceJobId
        self.heldByRun = heldByRun
        self.enhancedPrompt = enhancedPrompt
        self.gpuSeconds = gpuSeconds
    }

    /// Attempts made since the last user retry.
    public var attemptsInRun: Int { attempts - retryBase }

    /// The kind as the API, container names and labels and the runner contract show it: `batch` for a parent.
    public var displayedKind: String { shape.displayedKind(of: kind) }

    /// The fixed container name of the current attempt (`cosmos_batch_…` for a batch-run parent).
    public var containerName: String {
        ContainerName.make(kind: kind, shape: shape, jobID: id, attempt: attempts)
    }
}
