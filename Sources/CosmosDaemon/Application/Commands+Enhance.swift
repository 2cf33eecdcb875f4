import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// `enhance-batch`: one container enhances the prompts of queued jobs, as an enhance run.
extension Commands {
    /// Makes the enhance run over the named jobs and the queued jobs of `batch`; refusals name the request
    /// field (`jobs[2]`, `mode`, `image`) and queue nothing.
    func enhanceBatch(_ request: EnhanceBatchRequest, by caller: PeerCredentials) async throws
        -> (parent: RankedJob, children: [JobRecord])
    {
        try await audited("enhance-batch", request.batch.map { "batch \($0)" } ?? "queue", by: caller) {
            try access.authorize(.submit, by: caller)
            guard let mode = EnhanceSettings.Mode(rawValue: request.mode) else {
                throw SpecError(
                    field: "mode",
                    reason: "must be \"update\" or \"create_new\" (got \"\(request.mode)\"); pass --update or "
                        + "--create-new"
                )
            }
            let sources = try await enhanceSources(request, caller: caller)
            var spec = try validateSpecs(
                [try enhanceSpec(request, sources: sources.count)],
                key: "jobs",
                caller: caller
            )[0]
            spec.enhance = EnhanceSettings(mode: mode, model: request.model ?? configuration.enhance.model)
            let (parent, children) = try await database.submitEnhanceRun(
                parent: spec,
                sources: sources,
                ownerUID: caller.uid
            )
            logger.info(
                "enhance run submitted",
                metadata: [
                    "JOB_ID": "\(parent.job.id)", "CALLER_UID": "\(caller.uid)", "items": "\(children.count)",
                    "mode": "\(mode.rawValue)", "image": "\(parent.job.image)",
                ]
            )
            scheduler.wake()
            return (parent, children)
        }
    }

    /// The source job ids: `jobs` in order, then the queued jobs of `batch`, each once; every one checked.
    func enhanceSources(_ request: EnhanceBatchRequest, caller: PeerCredentials) async throws -> [String] {
        var ids = request.jobs
        if let batchID = request.batch {
            let notFound = SpecError(
                field: "batch",
                reason: "no batch with id \(batchID); `cosmosctl batch list` shows them"
            )
            let batch: BatchRecord
            do {
                batch = try await database.batch(batchID)
            } catch StoreError.batchNotFound {
                throw notFound
            }
            guard access.maySee(ownerUID: batch.ownerUid, caller.identity) else { throw notFound }
            let queued = try await database.unfinishedJobs(ofBatch: batchID).filter { $0.state == .queued }
            guard !queued.isEmpty else {
                throw SpecError(field: "batch", reason: "batch \(batchID) has no queued jobs to enhance")
            }
            ids += queued.map(\.id)
        }
        var seen: Set<String> = []
        ids = ids.filter { seen.insert($0).inserted }
        guard !ids.isEmpty else {
            throw SpecError(field: "jobs", reason: "is empty: name the jobs to enhance, or --batch B")
        }
        guard ids.count <= EnhanceRun.maxSources else {
            throw SpecError(
                field: "jobs",
                reason: "\(ids.count) jobs, but one enhance run takes at most \(EnhanceRun.maxSources); split them"
            )
        }
        for (index, id) in ids.enumerated() {
            let field = "jobs[\(index)]"
            let source = try await visibleJob(id, field: field, caller: caller)
            try access.authorize(.changeJob(source, verb: "enhance"), by: caller)
            if let reason = EnhanceRun.refusal(
                kind: source.kind,
                shape: source.shape,
                state: source.state,
                prompt: source.spec.prompt
            ) {
                throw SpecError(field: field, reason: "job \(id) \(reason)")
            }
        }
        return ids
    }

    /// The run's spec as a submitted spec would be, with the `[enhance]` defaults filled in.
    func enhanceSpec(_ request: EnhanceBatchRequest, sources: Int) throws -> JSONValue {
        let defaults = configuration.enhance
        guard let image = request.image ?? defaults.image else {
            throw SpecError(field: "image", reason: "no image given and [enhance] image is not set; pass --image")
        }
        if let model = request.model, model.isEmpty || model.utf8.count > 200 || model.contains(where: \.isNewline) {
            throw SpecError(field: "model", reason: "must be a one-line name of 1 to 200 bytes")
        }
        var object: [String: JSONValue] = [
            "kind": .string(JobKind.enhance.rawValue),
            "image": .string(image),
            "name": .string("enhance run of \(sources)"),
        ]
        if let command = request.command ?? defaults.command {
            object["command"] = .array(command.map(JSONValue.string))
        }
        if let gpus = request.gpus { object["gpus"] = .number(Double(gpus)) }
        if let env = request.env { object["env"] = .object(env.mapValues(JSONValue.string)) }
        if let memory = request.memory { object["memory"] = .string(memory) }
        return .object(object)
    }
}
