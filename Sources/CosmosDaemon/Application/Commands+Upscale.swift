import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// `upscale`: a 4K version of a job's video or of a video file, as an `upscale` job.
extension Commands {
    /// Makes the upscale job: `--from-job` picks the source job's video (waiting for the job when it has not
    /// finished), `--video` takes a file under the input policy. Refusals name the request field.
    func upscale(_ request: UpscaleRequest, by caller: PeerCredentials) async throws -> RankedJob {
        try await audited("upscale", request.fromJob.map { "job \($0)" } ?? "queue", by: caller) {
            try access.authorize(.submit, by: caller)
            var specs = try validateSpecs([try await upscaleSpec(request, caller: caller)], key: "jobs", caller: caller)
            specs[0].sourceJobID = request.fromJob
            try await validateDependencies(specs, key: "jobs", caller: caller)
            guard let job = try await database.submit(specs, ownerUID: caller.uid).first else {
                throw APIError(.internalServerError, "internal", "the upscale job was not stored")
            }
            logger.info(
                "upscale job submitted",
                metadata: [
                    "JOB_ID": "\(job.job.id)", "CALLER_UID": "\(caller.uid)",
                    "source_job_id": "\(request.fromJob ?? "")", "image": "\(job.job.image)",
                ]
            )
            scheduler.wake()
            return job
        }
    }

    /// The upscale job's spec as a submitted spec would be, with the `[upscale]` defaults filled in.
    func upscaleSpec(_ request: UpscaleRequest, caller: PeerCredentials) async throws -> JSONValue {
        let defaults = configuration.upscale
        guard let image = request.image ?? defaults.image else {
            throw SpecError(field: "image", reason: "no image given and [upscale] image is not set; pass --image")
        }
        let weight = request.weight ?? defaults.weight
        guard weight.isFinite, (0...1).contains(weight) else {
            throw SpecError(field: "weight", reason: "must be in [0, 1] (got \(weight))")
        }
        let input: String
        switch (request.fromJob, request.video) {
        case (let id?, nil):
            input = try await sourceVideo(of: id, output: request.output, caller: caller)
        case (nil, let path?):
            guard request.output == nil else {
                throw SpecError(field: "output", reason: "chooses among a job's outputs; it goes with --from-job")
            }
            input = path
        case (nil, nil):
            throw SpecError(field: "from_job", reason: "name the source: --from-job ID or --video PATH")
        case (_?, _?):
            throw SpecError(field: "video", reason: "give --from-job or --video, not both")
        }
        var object: [String: JSONValue] = [
            "kind": .string(JobKind.upscale.rawValue),
            "image": .string(image),
            "inputs": .array([.string(input)]),
            "upscale": .object(["control_weight": .number(weight)]),
        ]
        if let command = request.command ?? defaults.command {
            object["command"] = .array(command.map(JSONValue.string))
        }
        if let prompt = request.prompt { object["prompt"] = .string(prompt) }
        if let name = request.name { object["name"] = .string(name) }
        if let gpus = request.gpus { object["gpus"] = .number(Double(gpus)) }
        if let env = request.env { object["env"] = .object(env.mapValues(JSONValue.string)) }
        if let memory = request.memory { object["memory"] = .string(memory) }
        if let priority = request.priority { object["priority"] = .number(Double(priority)) }
        return .object(object)
    }

    /// The `job:` input of the source job's video: named now when the job has succeeded, at staging otherwise.
    func sourceVideo(of id: String, output: String?, caller: PeerCredentials) async throws -> String {
        let source = try await visibleJob(id, field: "from_job", caller: caller)
        guard source.shape != .batchParent else {
            throw SpecError(
                field: "from_job",
                reason: "job \(id) is a batch run; upscale one of its items (`cosmosctl show \(id)` lists them)"
            )
        }
        guard source.kind != .enhance else {
            throw SpecError(field: "from_job", reason: "job \(id) is a prompt enhancement; it makes no video")
        }
        switch source.state {
        case .failed, .cancelled:
            throw SpecError(
                field: "from_job",
                reason: "job \(id) is \(source.state.rawValue), so it has no video; retry it first"
            )
        case .succeeded:
            if let output {
                guard source.outputs.contains(output) else {
                    throw SpecError(
                        field: "output",
                        reason: "job \(id) has no output \"\(output)\" (its outputs: "
                            + "\(source.outputs.isEmpty ? "none" : source.outputs.joined(separator: ", ")))"
                    )
                }
                return JobInput(jobID: id, file: output).text
            }
            switch JobInput(jobID: id, file: nil).resolve(in: source.outputs) {
            case .success(let video):
                return JobInput(jobID: id, file: video).text
            case .failure(let error):
                if case .severalVideos = error {
                    throw SpecError(
                        field: "output",
                        reason: "\(error.description.split(separator: ";")[0]); choose one with --output"
                    )
                }
                throw SpecError(field: "from_job", reason: error.description)
            }
        case .queued, .held, .starting, .running:
            return JobInput(jobID: id, file: output).text
        }
    }
}
