/// What a job does; decides how its container is named and whether it can be batched.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    /// A model inference run (the common case; batchable).
    case inference
    /// A prompt enhancement run.
    case enhance
    /// An upscaling run.
    case upscale
    /// A parent record that runs several children in one container.
    case batch

    /// Kinds a user may submit directly (a `batch` parent is created by the daemon).
    public static let submittable: [JobKind] = [.inference, .enhance, .upscale]
}
