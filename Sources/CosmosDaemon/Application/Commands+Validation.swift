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
