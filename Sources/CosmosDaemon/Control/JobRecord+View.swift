import CosmosAPI
import CosmosDomain
import CosmosStore

extension RankedJob {
    /// The job as the API shows it.
    func view(pendingReason: String?) -> JobView {
        var view = JobView(
            id: job.id,
            name: job.name,
            kind: job.displayedKind,
            state: job.state,
            position: position,
            priority: job.priority,
            image: job.image,
            command: job.spec.command,
            gpus: job.gpus,
            host: job.host,
            devices: job.devices,
            containerId: job.containerId,
            exitCode: job.exitCode,
            attempts: job.attempts,
            error: job.error,
            reason: job.reason,
            pendingReason: pendingReason,
            ownerUid: job.ownerUid,
            createdAt: Timestamp.format(job.createdAt),
            startedAt: Timestamp.format(job.startedAt),
            finishedAt: Timestamp.format(job.finishedAt),
            outputs: job.outputs,
            batchId: job.batchId,
            parentId: job.parentId,
            batchIndex: job.batchIndex,
            prompt: job.spec.prompt,
            controls: job.spec.controls,
            progress: job.progress
        )
        let dependencies = job.spec.dependencies
        view.after = dependencies.filter { $0.condition == .succeeded }.map(\.jobID)
        view.afterAny = dependencies.filter { $0.condition == .ended }.map(\.jobID)
        view.sourceJobId = job.sourceJobId
        view.enhancedPrompt = job.enhancedPrompt
        view.enhanceMode = job.spec.enhance?.mode.rawValue
        view.gpuSeconds = job.gpuSeconds
        return view
    }
}
