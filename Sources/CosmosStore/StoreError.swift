import CosmosDomain

/// A refused store operation; each case says what to do next.
public enum StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No job has this id.
    case jobNotFound(String)
    /// The state machine refused the change.
    case illegalTransition(jobID: String, IllegalTransition)
    /// A move needs a job that holds a place in the queue.
    case notInQueue(jobID: String, state: JobState)
    /// Moves reorder within a priority level.
    case differentPriority(jobID: String, priority: Int, otherID: String, otherPriority: Int)
    /// A job cannot be moved relative to itself.
    case moveRelativeToItself(String)
    /// A position must be 1 or more.
    case invalidPosition(Int)
    /// No batch has this id.
    case batchNotFound(String)
    /// A batch run's parent is not retried; its failed items are.
    case batchRunRetry(String)
    /// Only a finished batch can be deleted.
    case batchNotFinished(id: String, status: String)
    /// An online backup could not be written or did not pass its check.
    case backupFailed(path: String, reason: String)
    /// A dependency names no job.
    case unknownDependency(String)
    /// An `after` dependency already failed or was cancelled: the job could never start.
    case brokenDependency(jobID: String, state: JobState)
    /// A chain of waiting jobs would be longer than the limit.
    case dependencyChainTooDeep(limit: Int)
    /// A retry of a job whose `after` dependency failed.
    case retryWithBrokenDependency(jobID: String, dependency: String, state: JobState)
    /// A job named as a source of an enhance run cannot be one (it changed since the request was checked).
    case enhanceSourceRefused(jobID: String, reason: String)
    /// An enhance run's item is not retried alone: its prompt belongs to the run.
    case enhanceItemRetry(jobID: String, runID: String, sourceID: String?)

    public var description: String {
        switch self {
        case .jobNotFound(let id):
            "no job with id \(id); `cosmosctl list` shows the jobs"
        case .illegalTransition(let id, let transition):
            "job \(id): \(transition)"
        case .notInQueue(let id, let state):
            "job \(id) is \(state.rawValue): only queued or held jobs have a place in the queue"
        case .differentPriority(let id, let priority, let other, let otherPriority):
            "job \(id) has priority \(priority) but job \(other) has \(otherPriority): moves reorder within a priority "
                + "level; change the priority first with `cosmosctl priority \(id) \(otherPriority)`"
        case .moveRelativeToItself(let id):
            "job \(id) cannot be moved relative to itself"
        case .invalidPosition(let position):
            "position \(position) is invalid: positions start at 1"
        case .batchRunRetry(let id):
            "job \(id) is a batch run: retry its failed items (`cosmosctl show \(id)` lists them)"
        case .batchNotFound(let id):
            "no batch with id \(id); `cosmosctl batch list` shows the batches"
        case .batchNotFinished(let id, let status):
            "batch \(id) is \(status): only a completed, failed or cancelled batch with nothing running can be "
                + "deleted; `cosmosctl batch cancel \(id) --running` ends it"
        case .unknownDependency(let id):
            "no job with id \(id) to wait for; `cosmosctl list` shows the jobs"
        case .brokenDependency(let id, let state):
            "job \(id) is \(state.rawValue), so a job after it could never start: retry \(id) first, or wait for it "
                + "with --after-any"
        case .dependencyChainTooDeep(let limit):
            "the chain of jobs waiting for each other would be more than \(limit) deep; wait for a job nearer the start"
        case .retryWithBrokenDependency(let id, let dependency, let state):
            "job \(id) waits for job \(dependency), which is \(state.rawValue): retry \(dependency) first, or submit "
                + "\(id)'s spec again"
        case .enhanceSourceRefused(let id, let reason):
            "job \(id) \(reason); `cosmosctl show \(id)` shows it, and nothing was queued"
        case .enhanceItemRetry(let id, let run, let source):
            "job \(id) is an item of enhance run \(run): it does not run alone; run `cosmosctl enhance-batch "
                + "\(source ?? "<source>") --update` (or --create-new) again"
        case .backupFailed(let path, let reason):
            "backup to \(path) failed: \(reason); the old file there, if any, is unchanged (check the folder exists "
                + "and the daemon may write there: under systemd, inside /var/lib/cosmos-worker)"
        }
    }
}
