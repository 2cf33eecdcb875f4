/// How a job runs, apart from what it runs (its ``JobKind``): alone, as a batch-run parent, or as an item of one.
///
/// The scheduler and the runner dispatch on the shape in one place; the kind only names the workload.
public enum RunShape: String, Codable, Sendable, CaseIterable {
    /// A job with its own container.
    case single
    /// A parent that runs its items in one container; it holds their queue place and GPUs.
    case batchParent = "batch_parent"
    /// An item of a batch run: it rides in its parent's container and has no queue place of its own.
    case batchItem = "batch_item"

    /// The kind users and scripts see for a job of `kind` with this shape: `batch` for a parent of inference
    /// items, `enhance_batch` for an enhance run's parent, else the kind.
    ///
    /// Container names, the `cosmos.kind` label, the runner contract and the API all show this, so they read as
    /// they did before the shape was its own field.
    public func displayedKind(of kind: JobKind) -> String {
        guard self == .batchParent else { return kind.rawValue }
        return kind == .inference ? "batch" : "\(kind.rawValue)_batch"
    }
}
