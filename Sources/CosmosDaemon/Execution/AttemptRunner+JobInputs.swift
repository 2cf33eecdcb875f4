import CosmosDomain
import CosmosStore
import Foundation

/// `job:` inputs: another job's outputs, staged like any input.
extension AttemptRunner {
    /// The job with each `job:` input replaced by the path of the output it names, and those paths (they come
    /// from the daemon's outputs folder, so the input roots do not apply to them).
    ///
    /// - Throws: ``JobInputError`` when a named job has not succeeded or did not write the file.
    func resolvingJobInputs(_ job: JobRecord) async throws -> (job: JobRecord, outputs: Set<String>) {
        guard job.spec.inputs.contains(where: { JobInput(parsing: $0) != nil }) else { return (job, []) }
        var resolved = job
        var outputs: Set<String> = []
        for (index, text) in job.spec.inputs.enumerated() {
            guard let input = JobInput(parsing: text) else { continue }
            let source: JobRecord
            do {
                source = try await database.job(input.jobID).job
            } catch StoreError.jobNotFound {
                throw JobInputError.missing(input, outputs: [])
            }
            guard source.state == .succeeded else { throw JobInputError.notSucceeded(input, state: source.state) }
            let file = try input.resolve(in: source.outputs).get()
            let path = URL(fileURLWithPath: configuration.outputsDirectory)
                .appendingPathComponent(source.id).appendingPathComponent(file).path
            resolved.spec.inputs[index] = path
            outputs.insert(path)
        }
        var names: Set<String> = []
        for path in resolved.spec.inputs where !names.insert(JobSpec.inputFileName(path)).inserted {
            throw JobInputError.sameName(JobSpec.inputFileName(path))
        }
        return (resolved, outputs)
    }
}
