import CosmosAPI
import CosmosDomain
import Foundation

/// How batches look for people: a progress bar, an ETA, and one mark per job (as in the batch panel mock-up).
enum BatchFormat {
    /// `[████████░░░░] 60% (6/10)`.
    static func bar(_ batch: BatchView, width: Int = 20) -> String {
        let done = batch.completed + batch.failed + batch.cancelled
        let filled = batch.total == 0 ? width : done * width / batch.total
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            + "] \(batch.percent)% (\(done)/\(batch.total))"
    }

    /// `4m`, `1h 5m`, `40s`, or `unknown`.
    static func eta(_ seconds: Int?) -> String {
        guard let seconds else { return "unknown" }
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\((seconds + 59) / 60)m" }
        return "\(seconds / 3600)h \((seconds % 3600 + 59) / 60)m"
    }

    /// The mark of a job's state: ✓ done, ◐ running, ○ queued, ✗ failed, ‖ held, – cancelled.
    static func mark(_ state: JobState) -> String {
        switch state {
        case .succeeded: "✓"
        case .starting, .running: "◐"
        case .queued: "○"
        case .failed: "✗"
        case .held: "‖"
        case .cancelled: "–"
        }
    }

    /// The batch, its bar and ETA, then each job with its mark, name, state, outputs and error.
    static func panel(_ batch: BatchView) -> String {
        var lines = [
            "\(batch.name) (\(batch.id))  \(batch.status.rawValue)",
            "\(bar(batch)) ETA \(eta(batch.etaSeconds))",
            "done \(batch.completed), failed \(batch.failed), running \(batch.running), queued \(batch.queued)"
                + (batch.held > 0 ? " (\(batch.held) held)" : "") + ", cancelled \(batch.cancelled)",
        ]
        let jobs = batch.jobs ?? []
        for (index, job) in jobs.enumerated() {
            let branch = index == jobs.count - 1 ? "└─" : "├─"
            var detail = job.state.rawValue
            if !job.outputs.isEmpty { detail += "  " + job.outputs.joined(separator: ", ") }
            if let error = job.error ?? (job.state == .failed ? job.reason : nil) { detail += "  " + error }
            if let pending = job.pendingReason { detail += "  (" + pending + ")" }
            lines.append("\(branch) \(mark(job.state)) \(job.name ?? job.id)  \(job.id)  \(detail)")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON line per frame for `--watch --json`.
    static func json(_ batch: BatchView) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(batch), as: UTF8.self)
    }
}
