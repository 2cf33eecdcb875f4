import CosmosDomain
import CosmosStore
import Foundation

/// Checks of submitted specs: the spec's own rules, then the daemon's configuration, then the caller's inputs.
extension Commands {
    /// Parses and checks every item; the first refusal names `key[i].field` (just the field for a single item).
    func validateSpecs(_ items: [JSONValue], key: String, caller: PeerCredentials, nameSingle: Bool = false) throws
        -> [JobSpec]
    {
        guard !items.isEmpty else { throw SpecError(field: key, reason: "is empty: nothing to submit") }
        guard items.count <= 10_000 else {
            throw SpecError(field: key, reason: "more than 10000 jobs in one request")
        }
        let policy = InputPolicy(settings: configuration.inputs)
        var identity: CallerIdentity?  // read from /proc only when a spec names inputs
        var specs: [JobSpec] = []
        for (index, item) in items.enumerated() {
            let prefix = items.count == 1 && !nameSingle ? "" : "\(key)[\(index)]"
            do {
                let spec = try JobSpec.parse(item)
                try validateAgainstConfiguration(spec)
                if !spec.inputs.isEmpty {
                    let caller = identity ?? caller.identity
                    identity = caller
                    try policy.check(spec.inputs, caller: caller)
                }
                specs.append(spec)
            } catch let error as SpecError {
                throw prefix.isEmpty ? error : error.nested(under: prefix)
            }
        }
        return specs
    }

    /// Refusals that depend on the daemon's configuration rather than on the spec alone.
    func validateAgainstConfiguration(_ spec: JobSpec) throws {
        guard configuration.images.allows(spec.image) else {
            let patterns = configuration.images.patterns?.joined(separator: ", ") ?? ""
            throw APIError(
                .forbidden,
                "image_not_allowed",
                "image: \"\(spec.image)\" is not in the allowlist ([images] allow = \(patterns))"
            )
        }
        let largest = configuration.hosts.map(\.devices.count).max() ?? 0
        guard spec.gpus <= largest else {
            throw SpecError(field: "gpus", reason: "asks for \(spec.gpus) GPUs but the largest host has \(largest)")
        }
        if let runner = configuration.runners.runner(for: spec.image) { try Self.validate(spec, for: runner) }
    }

    /// What an image that runs through an adapter accepts: no command of its own, the model's controls, and the
    /// params the adapter maps.
    static func validate(_ spec: JobSpec, for runner: RunnerConfiguration) throws {
        let adapter = runner.adapter
        guard spec.command == nil else {
            throw SpecError(
                field: "command",
                reason: "\(spec.image) runs through the \(adapter.rawValue) adapter, which is its command; leave it out"
            )
        }
        guard adapter.kinds.contains(spec.kind) else {
            throw SpecError(
                field: "kind",
                reason: "\(spec.image) runs through the \(adapter.rawValue) adapter, which runs "
                    + adapter.kinds.map(\.rawValue).joined(separator: " and ") + " jobs, not \(spec.kind.rawValue)"
            )
        }
        guard spec.kind == .inference else { return }
        guard !spec.inputs.isEmpty else {
            throw SpecError(
                field: "inputs",
                reason: "the \(adapter.rawValue) adapter needs the input video as inputs[0]"
            )
        }
        guard spec.controls.values.contains(where: { $0 > 0 }) else {
            throw SpecError(
                field: "controls",
                reason: "\(adapter.rawValue) needs at least one control with a weight above 0 (of "
                    + adapter.controls.joined(separator: ", ") + ")"
            )
        }
        for control in spec.controls.keys.sorted() where !adapter.controls.contains(control) {
            throw SpecError(
                field: "controls.\(control)",
                reason:
                    "\(adapter.rawValue) has no control \(control); it has \(adapter.controls.joined(separator: ", "))"
            )
        }
        for param in spec.params.keys.sorted() where !adapter.params.contains(param) {
            throw SpecError(
                field: "params.\(param)",
                reason: "the \(adapter.rawValue) adapter does not know it; it maps "
                    + adapter.params.joined(separator: ", ")
            )
        }
        if adapter == .transfer25, let guidance = spec.params["guidance"] {
            guard case .number(let value) = guidance, value == value.rounded(), (0...7).contains(value) else {
                throw SpecError(field: "params.guidance", reason: "cosmos-transfer2.5 takes a whole number 0...7")
            }
        }
        if let inputs = spec.params["control_inputs"] {
            guard case .object(let map) = inputs else {
                throw SpecError(field: "params.control_inputs", reason: "must map control names to input file names")
            }
            let names = Set(spec.inputs.map(JobSpec.inputFileName))
            for (control, value) in map.sorted(by: { $0.key < $1.key }) {
                guard spec.controls[control] != nil else {
                    throw SpecError(field: "params.control_inputs.\(control)", reason: "the job has no such control")
                }
                guard case .string(let file) = value, names.contains(file) else {
                    throw SpecError(
                        field: "params.control_inputs.\(control)",
                        reason: "must name one of the job's inputs by its file name"
                    )
                }
            }
        }
    }

    /// The job a request names in `field`, if the caller may see it; else a refusal naming the field as "not found"
    /// (another user's job under `[access] private` reads as missing).
    func visibleJob(_ id: String, field: String, caller: PeerCredentials) async throws -> JobRecord {
        let notFound = SpecError(field: field, reason: "no job with id \(id); `cosmosctl list` shows the jobs")
        guard JobID.isWellFormed(id) else { throw notFound }
        let job: JobRecord
        do {
            job = try await database.job(id).job
        } catch StoreError.jobNotFound {
            throw notFound
        }
        guard access.maySee(ownerUID: job.ownerUid, caller.identity) else { throw notFound }
        return job
    }
}
