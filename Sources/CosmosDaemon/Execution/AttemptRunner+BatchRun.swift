import CosmosDomain
import CosmosStore
import DockerEngine
import Foundation
import Logging

/// A batch run's attempt: its items' progress while it runs, and their verdicts from the manifest at the end.
extension AttemptRunner {
    /// The children that ride in this run: not ended, in index order.
    func runItems() async throws -> [JobRecord] {
        try await database.children(of: job.id).filter { !$0.state.isTerminal }
    }

    /// A progress line of the container's stdout, as this attempt's shape reads it.
    enum ProgressLine: Sendable {
        case item(BatchRun.Progress)
        case job(JobProgress)
        /// `##cosmos model-loaded`, written when the container printed it.
        case modelLoaded(Date)
    }

    /// A `##cosmos progress` or `##cosmos model-loaded` line of the container's stdout; nil for any other line.
    func progressLine(_ message: [UInt8], at time: Date) -> ProgressLine? {
        let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .newlines)
        if text == "##cosmos model-loaded" || text.hasPrefix("##cosmos model-loaded ") { return .modelLoaded(time) }
        guard text.hasPrefix("##cosmos progress ") else { return nil }
        switch job.shape {
        case .batchParent: return BatchRun.Progress.parse(text).map(ProgressLine.item)
        case .single: return JobProgress.parse(text).map(ProgressLine.job)
        case .batchItem: return nil
        }
    }

    /// Records one window of progress lines in one transaction.
    func record(_ window: [ProgressLine]) async {
        if let loaded = window.compactMap({ if case .modelLoaded(let time) = $0 { time } else { nil } }).first {
            do {
                _ = try await database.noteModelLoaded(job.id, attempt: job.attempts, at: loaded)
            } catch {
                logger.warning(
                    "recording the model load failed",
                    metadata: metadata.merging(["error": "\(error)"]) { $1 }
                )
            }
        }
        let items = window.compactMap { if case .item(let line) = $0 { line } else { nil } }
        await noteProgress(items)
        guard let last = window.compactMap({ if case .job(let line) = $0 { line } else { nil } }).last else { return }
        do {
            _ = try await database.noteJobProgress(job.id, attempt: job.attempts, progress: last)
            statistics.recordProgress(lines: window.count)
        } catch {
            logger.warning("recording job progress failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// Applies a window of progress lines to their children, in one transaction.
    func noteProgress(_ lines: [BatchRun.Progress]) async {
        guard !lines.isEmpty else { return }
        do {
            let children = try await database.noteItemProgress(job.id, attempt: job.attempts, lines: lines)
            statistics.recordProgress(lines: lines.count)
            for child in children {
                logger.info(
                    "batch item progress",
                    metadata: metadata.merging(
                        [
                            "JOB_ID": "\(child.id)", "PARENT_ID": "\(job.id)",
                            "index": "\(child.batchIndex.map(String.init) ?? "")", "state": "\(child.state.rawValue)",
                        ]
                    ) { $1 }
                )
            }
        } catch {
            logger.warning("recording batch progress failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// Collects the run's outputs, reads its manifest, hands each child its files and records everything.
    ///
    /// A run that was OOM-killed, or exited non-zero without a manifest, failed as a whole: its children go
    /// back to the queue alone. Otherwise the manifest decides each child (one it does not name fails).
    func finishBatchRun(
        exit: Exit,
        containerID: String,
        engine: any ContainerEngine
    ) async throws {
        let files: [String]
        do {
            files = try await executor.collectOutputs(job, containerID: containerID)
        } catch {
            logger.warning("collecting batch outputs failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            files = []
        }
        let folder = URL(fileURLWithPath: configuration.outputsDirectory).appendingPathComponent(job.id)
        var manifest: BatchRun.Manifest?
        var manifestError: String?
        if files.contains("manifest.json") {
            do {
                let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
                manifest = try JSONDecoder().decode(BatchRun.Manifest.self, from: data)
            } catch {
                manifestError = "the manifest is unreadable: \(error)"
            }
        } else {
            manifestError = "the run wrote no manifest"
        }
        let outcome: BatchRunOutcome
        // An enhance run's prompts count only when the whole run succeeded: one that fails changes nothing.
        let enhance = job.kind == .enhance
        if exit.outOfMemory {
            outcome = .failedWhole(
                reason: Reason.oom,
                error: exit.report.error ?? "the batch run was killed for exceeding its memory limit"
            )
        } else if exit.code != 0, manifest == nil || enhance {
            outcome = .failedWhole(
                reason: Reason.exitCode(exit.code),
                error: exit.errorText ?? "the batch run exited \(exit.code) without a manifest"
            )
        } else {
            let children = try await database.children(of: job.id)
            let indices = children.compactMap(\.batchIndex)
            var verdicts = BatchRun.verdicts(
                indices: indices,
                manifest: manifest,
                files: Set(files),
                manifestError: manifestError,
                prompts: enhance
            )
            for child in children {
                guard let index = child.batchIndex else { continue }
                switch verdicts[index] {
                case .succeeded(let outputs)?:
                    verdicts[index] = .succeeded(outputs: hand(outputs, of: index, to: child.id, from: folder))
                case .enhanced(let prompt, let outputs)?:
                    verdicts[index] = .enhanced(
                        prompt: prompt,
                        outputs: hand(outputs, of: index, to: child.id, from: folder)
                    )
                default: continue
                }
            }
            outcome = .finished(exitCode: exit.code, verdicts: verdicts, error: exit.errorText)
        }
        if await containerVanished(containerID, engine: engine, killed: exit.code == 137 && !exit.oomKilled) {
            throw AttemptError.containerLost(containerID)
        }
        let result = try await Task {
            try await database.finishBatchRun(
                job.id,
                attempt: job.attempts,
                outcome: outcome,
                policy: configuration.retry
            )
        }.value
        if let (parent, children) = result {
            var fields = metadata
            fields["state"] = "\(parent.state.rawValue)"
            fields["reason"] = "\(parent.reason ?? "")"
            fields["items"] = "\(children.map { "\($0.batchIndex ?? -1)=\($0.state.rawValue)" }.joined(separator: ","))"
            logger.info("batch run ended", metadata: fields)
        }
        onRecorded()
        try? await engine.remove(containerID)
    }

    /// Moves an item's files from the run's folder into the child's own; returns them relative to it.
    ///
    /// `0/video.mp4` of item 0 becomes `video.mp4` in the child's folder; other paths keep their names.
    private func hand(_ outputs: [String], of index: Int, to childID: String, from folder: URL) -> [String] {
        let destination = URL(fileURLWithPath: configuration.outputsDirectory).appendingPathComponent(childID)
        try? FileManager.default.removeItem(at: destination)
        var moved: [String] = []
        for path in outputs {
            let relative = path.hasPrefix("\(index)/") ? String(path.dropFirst("\(index)/".count)) : path
            let target = destination.appendingPathComponent(relative)
            do {
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try FileManager.default.moveItem(at: folder.appendingPathComponent(path), to: target)
                moved.append(relative)
            } catch {
                logger.warning(
                    "handing a batch output to its item failed",
                    metadata: metadata.merging(["JOB_ID": "\(childID)", "path": "\(path)", "error": "\(error)"]) { $1 }
                )
            }
        }
        return moved.sorted()
    }
}
