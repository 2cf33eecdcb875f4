import CosmosDomain
import CosmosStore
import Foundation

/// Checks of the jobs a submission waits for: `after`, `after_any` and `job:` inputs.
extension Commands {
    /// Refuses the first dependency of `specs` that names no job the caller may see, an `after` job that already
    /// failed, or a `job:` file that a finished job did not write; the error names `key[i].after[j]` (or the field
    /// alone for a single spec).
    func validateDependencies(_ specs: [JobSpec], key: String, caller: PeerCredentials, nameSingle: Bool = false)
        async throws
    {
        let identity = caller.identity
        var seen: [String: JobRecord] = [:]
        for (index, spec) in specs.enumerated() {
            let prefix = specs.count == 1 && !nameSingle ? "" : "\(key)[\(index)]"
            func refuse(_ field: String, _ reason: String) -> SpecError {
                let error = SpecError(field: field, reason: reason)
                return prefix.isEmpty ? error : error.nested(under: prefix)
            }
            var named: [(field: String, id: String, condition: Dependency.Condition, input: JobInput?)] = []
            named += spec.after.enumerated().map { ("after[\($0)]", $1, .succeeded, nil) }
            named += spec.afterAny.enumerated().map { ("after_any[\($0)]", $1, .ended, nil) }
            for (position, text) in spec.inputs.enumerated() {
                if let input = JobInput(parsing: text) {
                    named.append(("inputs[\(position)]", input.jobID, .succeeded, input))
                }
            }
            for item in named {
                let job: JobRecord
                if let known = seen[item.id] {
                    job = known
                } else {
                    do {
                        job = try await database.job(item.id).job
                    } catch StoreError.jobNotFound {
                        throw refuse(item.field, "no job with id \(item.id); `cosmosctl list` shows the jobs")
                    }
                    guard access.maySee(ownerUID: job.ownerUid, identity) else {
                        throw refuse(item.field, "no job with id \(item.id); `cosmosctl list` shows the jobs")
                    }
                    seen[item.id] = job
                }
                let dependency = Dependency(jobID: job.id, condition: item.condition)
                if dependency.isBroken(by: job.state) {
                    throw refuse(
                        item.field,
                        "job \(job.id) is \(job.state.rawValue), so this job could never start: retry \(job.id) "
                            + "first, or wait with after_any"
                    )
                }
                if let input = item.input, job.state == .succeeded,
                    case .failure(let error) = input.resolve(in: job.outputs)
                {
                    throw refuse(item.field, error.description)
                }
            }
        }
    }
}
