import Foundation

/// Smart batching's plan for a paused queue: which queued jobs would share one container (pure; seed 000).
///
/// The rules, in order:
/// - **Batchable:** a queued, not held, single `inference` job outside a paused named batch. Every other job is
///   excluded with its reason.
/// - **Execution signature:** what must be equal to share a container (``ExecutionSignature``).
/// - **Control signature:** the sorted controls with weight above zero.
/// - **Strict:** one group per (execution, control) signature. **Mixed:** one group per execution signature;
///   its master controls are the union of its jobs' controls.
/// - **Sizes:** a group holds at most ``BatchRun/Limits`` items for its (master) control count, lowered by
///   `--max-batch` and by the limits learned from out-of-memory runs.
/// - **Order:** jobs are taken in queue order; each joins the first open group of its signatures that has room,
///   or opens a new one. Mixed mode then merges groups of one execution signature, greedily: the pair with the
///   most controls in common first, then the smallest union, then the earliest, while the merged group fits the
///   limit of its master set. A group runs at its first job's place, so a job moves ahead only past the jobs
///   between its group's first job and itself: never past a job that was ahead of its group.
/// - A group of one is no group: that job stays alone, and says why.
public enum SmartBatchPlanner {
    /// Which jobs may share a run.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Only jobs with the same control signature.
        case strict
        /// Jobs with different controls, under a master set (the union); a control an item lacks has weight 0.
        case mixed
    }

    /// One queued job as the planner sees it, in queue order.
    public struct Candidate: Sendable, Equatable {
        public var jobID: String
        public var spec: JobSpec
        public var shape: RunShape
        public var held: Bool
        /// The named batch it belongs to, when that batch is paused.
        public var pausedBatch: String?

        public init(
            jobID: String,
            spec: JobSpec,
            shape: RunShape = .single,
            held: Bool = false,
            pausedBatch: String? = nil
        ) {
            self.jobID = jobID
            self.spec = spec
            self.shape = shape
            self.held = held
            self.pausedBatch = pausedBatch
        }
    }

    /// A group of jobs that would run in one container.
    public struct Group: Sendable, Equatable, Codable {
        /// The jobs, in queue order; the run takes the first one's place.
        public var jobIDs: [String]
        /// The control signature (strict) or the master controls (mixed).
        public var controls: [String]
        /// The most items the group may hold.
        public var limit: Int
        /// Why the limit is lower than the configured one, when it is.
        public var limitNote: String?
        public var image: String

        public var size: Int { jobIDs.count }

        public init(jobIDs: [String], controls: [String], limit: Int, limitNote: String? = nil, image: String) {
            self.jobIDs = jobIDs
            self.controls = controls
            self.limit = limit
            self.limitNote = limitNote
            self.image = image
        }

        enum CodingKeys: String, CodingKey {
            case jobIDs = "job_ids"
            case controls, limit
            case limitNote = "limit_note"
            case image
        }
    }

    /// A job the plan leaves alone, and why.
    public struct Exclusion: Sendable, Equatable, Codable {
        public var jobID: String
        public var reason: String

        public init(jobID: String, reason: String) {
            self.jobID = jobID
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case reason
        }
    }

    /// What the planner proposes.
    public struct Plan: Sendable, Equatable, Codable {
        public var mode: Mode
        public var groups: [Group]
        public var excluded: [Exclusion]
        /// Jobs considered (every queued job).
        public var jobsBefore: Int

        /// Runs after execution: one per group plus every job that stays alone.
        public var runsAfter: Int { groups.count + excluded.count }

        public init(mode: Mode, groups: [Group], excluded: [Exclusion], jobsBefore: Int) {
            self.mode = mode
            self.groups = groups
            self.excluded = excluded
            self.jobsBefore = jobsBefore
        }

        enum CodingKeys: String, CodingKey {
            case mode, groups, excluded
            case jobsBefore = "jobs_before"
        }
    }

    /// What lowers a group's size below the configured limits.
    public struct Limits: Sendable, Equatable {
        /// `[batch_runs]`.
        public var configured: BatchRun.Limits
        /// `--max-batch`: can only lower the configured limits.
        public var maxBatch: Int?
        /// Limits learned from out-of-memory runs, by image and control count.
        public var learned: [LearnedLimit]

        public init(
            configured: BatchRun.Limits = BatchRun.Limits(),
            maxBatch: Int? = nil,
            learned: [LearnedLimit] = []
        ) {
            self.configured = configured
            self.maxBatch = maxBatch
            self.learned = learned
        }

        /// The limit for a group of `image` with `controls` (master) controls, and why it is lower, if it is.
        public func limit(image: String, controls: Int) -> (limit: Int, note: String?) {
            var limit = configured.maxItems(controls: controls)
            var note: String?
            if let maxBatch, maxBatch < limit {
                limit = maxBatch
                note = "--max-batch \(maxBatch)"
            }
            let counted = max(controls, 1)
            if let lowest = learned.filter({ $0.image == image && $0.controls == counted }).min(by: {
                $0.maxItems < $1.maxItems
            }), lowest.maxItems < limit {
                limit = lowest.maxItems
                note = "lowered to \(lowest.maxItems) after an out-of-memory run on host \(lowest.host)"
            }
            return (max(limit, 1), note)
        }
    }

    /// A lower limit recorded when a run was killed for memory: half its size.
    public struct LearnedLimit: Sendable, Equatable {
        public var image: String
        public var controls: Int
        public var host: String
        public var maxItems: Int

        public init(image: String, controls: Int, host: String, maxItems: Int) {
            self.image = image
            self.controls = controls
            self.host = host
            self.maxItems = maxItems
        }
    }

    /// Why `candidate` cannot be batched at all; nil when it can.
    public static func exclusion(of candidate: Candidate) -> String? {
        if candidate.shape != .single { return "already part of a batch run" }
        if candidate.spec.kind != .inference {
            return "\(candidate.spec.kind.rawValue) jobs are not batchable: only inference jobs share a model"
        }
        if candidate.held { return "held" }
        if !candidate.spec.dependencies.isEmpty { return "it waits for other jobs (after, after_any or a job: input)" }
        if let batch = candidate.pausedBatch { return "its batch \(batch) is paused" }
        return nil
    }

    /// The plan for `queue` (queued jobs in queue order).
    public static func plan(_ queue: [Candidate], mode: Mode, limits: Limits) -> Plan {
        var excluded: [String: String] = [:]
        var groups: [Group] = []
        var signatureOf: [Int: ExecutionSignature] = [:]
        let position = Dictionary(queue.enumerated().map { ($1.jobID, $0) }, uniquingKeysWith: { first, _ in first })
        for candidate in queue {
            if let reason = exclusion(of: candidate) {
                excluded[candidate.jobID] = reason
                continue
            }
            let signature = ExecutionSignature(candidate.spec)
            let controls = candidate.spec.activeControls
            let open = groups.indices.first { index in
                signatureOf[index] == signature && groups[index].controls == controls
                    && groups[index].size < groups[index].limit
            }
            if let open {
                groups[open].jobIDs.append(candidate.jobID)
            } else {
                let (limit, note) = limits.limit(image: candidate.spec.image, controls: controls.count)
                signatureOf[groups.count] = signature
                groups.append(
                    Group(
                        jobIDs: [candidate.jobID],
                        controls: controls,
                        limit: limit,
                        limitNote: note,
                        image: candidate.spec.image
                    )
                )
            }
        }
        if mode == .mixed {
            var signed = groups.indices.map { (group: groups[$0], signature: signatureOf[$0]) }
            while let (first, second) = bestMerge(
                signed.map(\.group),
                signatures: signed.map(\.signature),
                limits: limits
            ) {
                let other = signed.remove(at: second).group
                var merged = signed[first].group
                merged.jobIDs = (merged.jobIDs + other.jobIDs).sorted {
                    position[$0, default: 0] < position[$1, default: 0]
                }
                merged.controls = Set(merged.controls).union(other.controls).sorted()
                (merged.limit, merged.limitNote) = limits.limit(image: merged.image, controls: merged.controls.count)
                signed[first].group = merged
            }
            groups = signed.map(\.group)
        }
        var batched: [Group] = []
        for group in groups {
            if group.size > 1 {
                batched.append(group)
            } else if let only = group.jobIDs.first {
                excluded[only] = aloneReason(group, mode: mode)
            }
        }
        batched.sort { position[$0.jobIDs[0], default: 0] < position[$1.jobIDs[0], default: 0] }
        let exclusions = excluded.map { Exclusion(jobID: $0.key, reason: $0.value) }
            .sorted { position[$0.jobID, default: 0] < position[$1.jobID, default: 0] }
        return Plan(mode: mode, groups: batched, excluded: exclusions, jobsBefore: queue.count)
    }

    /// The two groups mixed mode merges next: of one execution signature, fitting the limit of their union, with
    /// the most controls in common, then the smallest union, then the earliest; nil when no pair fits.
    static func bestMerge(_ groups: [Group], signatures: [ExecutionSignature?], limits: Limits) -> (Int, Int)? {
        var best: (pair: (Int, Int), overlap: Int, union: Int)?
        for first in groups.indices {
            for second in groups.indices where second > first && signatures[first] == signatures[second] {
                let union = Set(groups[first].controls).union(groups[second].controls)
                let limit = limits.limit(image: groups[first].image, controls: union.count).limit
                guard groups[first].size + groups[second].size <= limit else { continue }
                let overlap = Set(groups[first].controls).intersection(groups[second].controls).count
                if let current = best, (overlap, -union.count) <= (current.overlap, -current.union) { continue }
                best = ((first, second), overlap, union.count)
            }
        }
        return best?.pair
    }

    /// Why a job that opened a group found no partner.
    static func aloneReason(_ group: Group, mode: Mode) -> String {
        switch mode {
        case .strict:
            let controls =
                group.controls.isEmpty ? "no controls" : "controls (\(group.controls.joined(separator: ", ")))"
            return "no other queued job has the same image, command, settings and \(controls)"
        case .mixed:
            return "no other queued job has the same image, command and settings"
        }
    }
}

extension SmartBatchPlanner {
    /// Everything jobs must share to run in one container: image, command, env, GPUs, host selector, GPU memory,
    /// memory limit, priority and the run-level params (every key but ``BatchRun/itemParams``).
    ///
    /// The prompt, the controls and their weights, the name, inputs and the per-item params may differ.
    public struct ExecutionSignature: Sendable, Hashable {
        let text: String

        public init(_ spec: JobSpec) {
            struct Shared: Encodable {
                var image: String
                var command: [String]?
                var env: [String: String]
                var gpus: Int
                var selector: [String: String]?
                var minGPUMemoryGiB: Double?
                var memoryBytes: Int64?
                var priority: Int
                var params: [String: JSONValue]
            }
            let shared = Shared(
                image: spec.image,
                command: spec.command,
                env: spec.env,
                gpus: spec.gpus,
                selector: spec.selector?.isEmpty == true ? nil : spec.selector,
                minGPUMemoryGiB: spec.minGPUMemoryGiB,
                memoryBytes: spec.memoryBytes,
                priority: spec.priority,
                params: BatchRun.runParams(spec)
            )
            text = Canonical.json(shared)
        }
    }
}

/// Deterministic JSON text (sorted keys), for signatures and fingerprints.
enum Canonical {
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here is made of strings, numbers, arrays and maps, which always encode.
        let data = (try? encoder.encode(value)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension SmartBatchPlanner {
    /// A fingerprint of what an analysis saw: the queued jobs (ids, order, specs, holds, paused batches) and the
    /// jobs running then. Any submit, cancel, move, hold, priority or spec change, start or finish changes it.
    public static func fingerprint(_ queue: [Candidate], active: [String]) -> String {
        struct Seen: Encodable {
            var id: String
            var spec: JobSpec
            var shape: String
            var held: Bool
            var pausedBatch: String?
        }
        let seen = queue.map {
            Seen(id: $0.jobID, spec: $0.spec, shape: $0.shape.rawValue, held: $0.held, pausedBatch: $0.pausedBatch)
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Canonical.json(seen).utf8 + [0] + active.sorted().joined(separator: ",").utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
