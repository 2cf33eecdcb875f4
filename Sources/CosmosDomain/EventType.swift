/// What an entry of the event log records; the raw value is the dotted name stored and streamed.
///
/// Every entry also carries a JSON payload with the structured details of its type (see each case).
public enum EventType: String, Codable, Sendable, CaseIterable {
    /// A job entered the queue (or a batch run): `owner_uid`, `image`, `kind`, `shape`, `priority`,
    /// `batch_id`/`parent_id`/`index` when it has them.
    case jobSubmitted = "job.submitted"
    /// The scheduler claimed a job and allocated its GPUs: `attempt`, `host`, `devices`.
    case jobClaimed = "job.claimed"
    /// A job's container is running: `attempt`, `container_id`, `host`.
    case jobStarted = "job.started"
    /// A job ended successfully: `attempt`, `exit_code`, `outputs` (items: `parent_id`, `index`).
    case jobSucceeded = "job.succeeded"
    /// A job ended unsuccessfully and will not be retried: `reason`, `exit_code`, `attempt`.
    case jobFailed = "job.failed"
    /// A user (or its batch, or its batch run) cancelled a job: `uid`, `reason`, `was_active`.
    case jobCancelled = "job.cancelled"
    /// The container of a cancelled job ended, so its GPUs are free: `attempt`, `exit_code`, `reason`.
    case jobStopped = "job.stopped"
    /// A job went back to the queue for another attempt: `reason`, `attempt`, `not_before` when backed off.
    case jobRequeued = "job.requeued"
    /// A job was held in the queue: `by` (`user`, `batch`, or `enhance` with the run's `parent_id`).
    case jobHeld = "job.held"
    /// A held job was released: `by` (`user`, `batch`, or `enhance` with the run's `parent_id`).
    case jobReleased = "job.released"
    /// A queued job moved within its priority level: `to` (`top`, `bottom`, `before`, `after`, `position`),
    /// `anchor` or `position` when the target has one.
    case jobMoved = "job.moved"
    /// A user retried a failed or cancelled job: `retry_base`.
    case jobRetried = "job.retried"
    /// A queued job's priority changed: `from`, `to`.
    case jobPriorityChanged = "job.priority_changed"
    /// An enhance run (`--update`) rewrote a queued or held job's prompt when it ended: `old_prompt`, `new_prompt`,
    /// `parent_id` (the run), `item_id` (its item).
    case jobPromptUpdated = "job.prompt_updated"
    /// An item of a batch run reported progress: `parent_id`, `index`, `state`, `message`.
    case jobProgress = "job.progress"
    /// The queue was paused (nothing new starts): `uid`.
    case queuePaused = "queue.paused"
    /// The queue was resumed: `uid`.
    case queueResumed = "queue.resumed"
    /// A host's engine stopped answering its probes (no new jobs go there): `host`, `error`, `failures`.
    case hostDown = "host.down"
    /// A host that was down answers again: `host`.
    case hostUp = "host.up"
    /// An operator drained a host (no new jobs go there): `host`, `uid`.
    case hostDrained = "host.drained"
    /// An operator resumed a drained host: `host`, `uid`.
    case hostResumed = "host.resumed"
    /// A named batch was created with its jobs: `batch_id`, `name`, `jobs`, `uid`.
    case batchCreated = "batch.created"
    /// A batch was paused (its queued jobs held): `batch_id`, `uid`.
    case batchPaused = "batch.paused"
    /// A batch was resumed (the holds of its pause released): `batch_id`, `uid`.
    case batchResumed = "batch.resumed"
    /// A batch was cancelled: `batch_id`, `uid`, `running` (whether running jobs were stopped too).
    case batchCancelled = "batch.cancelled"
    /// A finished batch and its jobs' records were deleted: `batch_id`, `jobs`.
    case batchDeleted = "batch.deleted"
    /// A named batch's last job ended (written by the store's trigger in that job's transaction): `batch_id`,
    /// `name`, `status` (`completed`, or `failed` when a job failed), `total`, `completed`, `failed`, `cancelled`.
    case batchCompleted = "batch.completed"
    /// Smart batching regrouped a paused queue into batch runs: `runs`, `jobs`, `uid`. Declared for the stream's
    /// consumers; the smart-batching commands (not built yet) write it.
    case smartBatchExecuted = "smart_batch.executed"
    /// A batch run's container ended and its items were settled: `attempt`, `state`, `exit_code`, `reason`.
    case batchRunEnded = "batch_run.ended"
    /// An entry written before the log was typed whose old type has no typed name; the payload's `legacy_type`
    /// keeps the old string. Readers also see this for a type this version does not know.
    case legacy
}
