/// What a job runs, its workload; how it runs is its ``RunShape``.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    /// A model inference run (the common case; batchable).
    case inference
    /// A prompt enhancement run.
    case enhance
    /// An upscaling run.
    case upscale

    /// Kinds a user may submit (every workload; a batch run is a shape, not a kind).
    public static let submittable: [JobKind] = allCases
}
