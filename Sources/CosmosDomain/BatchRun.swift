/// Parent/child batch runs: many inference jobs in one container, so the model loads once (pure).
///
/// The children must agree on everything the container is made of: image, command, environment, GPUs and
/// the run-level `params` (every key but the per-item ones in ``itemParams``). Per item they may differ in
/// name, prompt, controls, inputs (staged at `/cosmos/in/<index>/<file name>`) and the per-item params.
public enum BatchRun {
    /// `params` keys that may differ between items; every other key is run-level.
    public static let itemParams: Set<String> = ["seed", "fake_fail"]

    /// Where item `index`'s inputs are staged in the container.
    public static func inputFolder(index: Int) -> String { "cosmos/in/\(index)" }

    /// How many items one run may hold, by the largest number of active controls among them (seed 000).
    public struct Limits: Sendable, Equatable {
        public var oneControl = 8
        public var twoControls = 4
        public var moreControls = 2

        public init(oneControl: Int = 8, twoControls: Int = 4, moreControls: Int = 2) {
            self.oneControl = oneControl
            self.twoControls = twoControls
            self.moreControls = moreControls
        }

        /// The limit for items whose largest control count is `controls` (0 counts as 1).
        public func maxItems(controls: Int) -> Int {
            switch controls {
            case ...1: oneControl
            case 2: twoControls
            default: moreControls
            }
        }
    }

    /// Checks that `specs` can share one container and returns the parent's spec; errors name `items[i]`.
    ///
    /// The parent's kind is its items' workload (inference); it is stored with the shape
    /// ``RunShape/batchParent``.
    public static func parentSpec(for specs: [JobSpec], limits: Limits) throws(SpecError) -> JobSpec {
        guard let first = specs.first else { throw SpecError(field: "items", reason: "is empty: nothing to run") }
        let shared = runParams(first)
        for (index, spec) in specs.enumerated() {
            let field = "items[\(index)]"
            guard spec.kind == .inference else {
                throw SpecError(
                    field: field + ".kind",
                    reason: "batch runs hold inference jobs only (got \(spec.kind.rawValue))"
                )
            }
            guard spec.image == first.image else {
                throw SpecError(field: field + ".image", reason: "differs from items[0] (\(first.image))")
            }
            guard spec.command == first.command else {
                throw SpecError(field: field + ".command", reason: "differs from items[0]: one container runs them all")
            }
            guard spec.env == first.env else {
                throw SpecError(field: field + ".env", reason: "differs from items[0]: one container runs them all")
            }
            guard spec.gpus == first.gpus else {
                throw SpecError(field: field + ".gpus", reason: "differs from items[0] (\(first.gpus))")
            }
            guard spec.memoryBytes == first.memoryBytes else {
                throw SpecError(field: field + ".memory", reason: "differs from items[0]: one container runs them all")
            }
            let params = runParams(spec)
            if let key = Set(params.keys).union(shared.keys).sorted().first(where: { params[$0] != shared[$0] }) {
                throw SpecError(
                    field: field + ".params.\(key)",
                    reason:
                        "differs from items[0]: only \(itemParams.sorted().joined(separator: ", ")) may differ per item"
                )
            }
        }
        let controls = specs.map(\.activeControls.count).max() ?? 0
        let limit = limits.maxItems(controls: controls)
        guard specs.count <= limit else {
            throw SpecError(
                field: "items",
                reason: "\(specs.count) items, but a batch run with \(max(controls, 1)) active control"
                    + "\(controls > 1 ? "s" : "") holds at most \(limit) ([batch_runs] limits)"
            )
        }
        var parent = JobSpec(
            name: "batch run of \(specs.count)",
            kind: first.kind,
            image: first.image,
            command: first.command,
            env: first.env,
            gpus: first.gpus,
            priority: first.priority,
            params: shared,
            retries: 0,
            memoryBytes: first.memoryBytes
        )
        parent.selector = first.selector
        parent.minGPUMemoryGiB = first.minGPUMemoryGiB
        return parent
    }

    /// The run-level part of a spec's params.
    static func runParams(_ spec: JobSpec) -> [String: JSONValue] {
        spec.params.filter { !itemParams.contains($0.key) }
    }

    // MARK: What the container reports

    /// One `##cosmos progress index=<i> state=<running|succeeded|failed> [message]` line.
    public struct Progress: Sendable, Equatable {
        public enum State: String, Sendable, Equatable {
            case running, succeeded, failed
        }

        public var index: Int
        public var state: State
        public var message: String?

        public init(index: Int, state: State, message: String? = nil) {
            self.index = index
            self.state = state
            self.message = message
        }

        /// Parses a log line; nil for anything else.
        public static func parse(_ line: String) -> Progress? {
            let prefix = "##cosmos progress "
            guard line.hasPrefix(prefix) else { return nil }
            var rest = line.dropFirst(prefix.count)[...]
            func field(_ name: String) -> Substring? {
                guard rest.hasPrefix(name + "=") else { return nil }
                let value = rest.dropFirst(name.count + 1).prefix { $0 != " " }
                rest = rest.dropFirst(name.count + 1 + value.count).drop { $0 == " " }
                return value
            }
            guard let indexText = field("index"), let index = Int(indexText), index >= 0,
                let stateText = field("state"), let state = State(rawValue: String(stateText))
            else { return nil }
            var message = rest
            while message.last == " " || message.last == "\r" { message = message.dropLast() }
            return Progress(index: index, state: state, message: message.isEmpty ? nil : String(message))
        }
    }

    /// `/cosmos/out/manifest.json`: what became of each item.
    public struct Manifest: Sendable, Equatable, Codable {
        public struct Item: Sendable, Equatable, Codable {
            public var index: Int
            /// `succeeded`, `failed` or `cancelled`.
            public var status: String
            /// Paths relative to `/cosmos/out/`.
            public var outputs: [String]?
            public var error: String?
            /// An enhance run's enhanced prompt for a succeeded item.
            public var prompt: String?

            public init(
                index: Int,
                status: String,
                outputs: [String]? = nil,
                error: String? = nil,
                prompt: String? = nil
            ) {
                self.index = index
                self.status = status
                self.outputs = outputs
                self.error = error
                self.prompt = prompt
            }
        }

        public var items: [Item]

        public init(items: [Item]) { self.items = items }
    }

    /// What the daemon records for one child at the end of its run.
    public enum ItemVerdict: Sendable, Equatable {
        case succeeded(outputs: [String])
        /// An enhance run's item that returned a usable prompt.
        case enhanced(prompt: String, outputs: [String])
        case failed(error: String)
        case cancelled
    }

    /// Each child's verdict from the manifest (nil: unreadable); a child it does not name fails with the reason.
    ///
    /// `outputs` keeps only safe relative paths (no `..`, not absolute) found in `files`, the files the
    /// run's outputs folder really holds. With `prompts` (an enhance run), a succeeded item must return a usable
    /// `prompt`, or it fails with the reason.
    public static func verdicts(
        indices: [Int],
        manifest: Manifest?,
        files: Set<String>,
        manifestError: String?,
        prompts: Bool = false
    ) -> [Int: ItemVerdict] {
        var result: [Int: ItemVerdict] = [:]
        guard let manifest else {
            let reason = manifestError ?? "the run wrote no manifest"
            for index in indices { result[index] = .failed(error: reason) }
            return result
        }
        let entries = Dictionary(manifest.items.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        for index in indices {
            guard let entry = entries[index] else {
                result[index] = .failed(error: "item \(index) is missing from the manifest")
                continue
            }
            switch entry.status {
            case "succeeded":
                let outputs = (entry.outputs ?? []).filter { path in
                    !path.hasPrefix("/") && !path.split(separator: "/").contains("..") && files.contains(path)
                }
                if !prompts {
                    result[index] = .succeeded(outputs: outputs)
                } else if let prompt = entry.prompt {
                    result[index] =
                        EnhanceRun.problem(with: prompt).map { .failed(error: "item \(index): \($0)") }
                        ?? .enhanced(prompt: prompt, outputs: outputs)
                } else {
                    result[index] = .failed(error: "item \(index) succeeded but the manifest gives it no prompt")
                }
            case "cancelled":
                result[index] = .cancelled
            case "failed":
                result[index] = .failed(error: entry.error ?? "the item failed (no message)")
            default:
                result[index] = .failed(error: "the manifest gives item \(index) an unknown status \"\(entry.status)\"")
            }
        }
        return result
    }
}
