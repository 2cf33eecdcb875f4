import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import Logging

/// `cosmosctl maintenance run`: prune, sweep, vacuum, check and back up, inside the daemon (the single writer),
/// so it is safe while jobs run.
extension Commands {
    /// One maintenance run: the steps the request names, or with none those `[maintenance]` says. Admins only.
    func runMaintenance(_ request: MaintenanceRequest, by caller: PeerCredentials) async throws -> MaintenanceView {
        try await audited("maintenance", "database", by: caller) {
            try access.authorize(.operate(verb: "maintenance"), by: caller)
            let plan = try MaintenancePlan(request, settings: configuration.maintenance)
            var view = MaintenanceView()
            let now = Date()
            if plan.pruneDays != nil || plan.eventRetentionDays != nil {
                view.pruned = try await prune(plan, now: now)
            }
            if plan.sweep {
                view.swept = try await sweep(now: now)
            }
            if let full = plan.vacuumFull {
                let result = try await database.vacuum(full: full)
                view.vacuum = MaintenanceView.Vacuumed(
                    mode: result.mode,
                    pagesBefore: result.pagesBefore,
                    pagesAfter: result.pagesAfter,
                    bytesFreed: max(0, result.pagesBefore - result.pagesAfter) * result.pageSize,
                    note: result.note
                )
            }
            if plan.check {
                let result = try await database.check()
                view.check = MaintenanceView.Check(
                    integrity: result.integrity.joined(separator: "; "),
                    foreignKeyProblems: result.foreignKeyProblems,
                    ok: result.ok
                )
                view.ok = result.ok
                if !result.ok {
                    logger.error(
                        "database check failed: restore a backup with the daemon stopped (docs/maintenance.md)",
                        metadata: [
                            "integrity": "\(view.check?.integrity ?? "")",
                            "foreign_key_problems": "\(result.foreignKeyProblems)",
                        ]
                    )
                }
            }
            if let path = plan.backupPath {
                let result = try await database.backup(to: path)
                view.backup = MaintenanceView.Backup(
                    path: result.path,
                    bytes: result.bytes,
                    jobs: result.jobs,
                    integrity: result.integrity
                )
            }
            logger.notice(
                "maintenance done",
                metadata: [
                    "CALLER_UID": "\(caller.uid)", "pruned_jobs": "\(view.pruned?.jobs ?? 0)",
                    "swept_containers": "\(view.swept?.containers.count ?? 0)",
                    "bytes_freed": "\(view.vacuum?.bytesFreed ?? 0)", "ok": "\(view.ok)",
                ]
            )
            return view
        }
    }

    /// Deletes what is older than the plan's cut-offs, then the pruned jobs' log files (and outputs if asked).
    private func prune(_ plan: MaintenancePlan, now: Date) async throws -> MaintenanceView.Pruned {
        let cutoff = plan.pruneDays.map { now.addingTimeInterval(-$0 * 86_400) }
        let result = try await database.prune(
            finishedBefore: cutoff,
            eventsBefore: plan.eventRetentionDays.map { now.addingTimeInterval(-$0 * 86_400) }
        )
        var logFiles = 0
        var outputFolders = 0
        for job in result.jobIDs {
            if removeFile(JobLogFile.path(for: job, in: configuration.logsDirectory), job: job) { logFiles += 1 }
            if plan.pruneOutputs, removeFile(configuration.outputsDirectory + "/" + job, job: job) {
                outputFolders += 1
            }
        }
        return MaintenanceView.Pruned(
            cutoff: Timestamp.format(cutoff),
            jobs: result.jobIDs.count,
            batches: result.batchIDs.count,
            events: result.events,
            logFiles: logFiles,
            outputFolders: outputFolders
        )
    }

    /// Removes orphan containers on every host, and output folders of jobs the store no longer has.
    private func sweep(now: Date) async throws -> MaintenanceView.Swept {
        let removed = await scheduler.sweepOrphans(now: now)
        let known = try await database.allJobIDs()
        var folders = 0
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.outputsDirectory)) ?? []
        for name in names where !known.contains(name) && JobID.isWellFormed(name) {
            if removeFile(configuration.outputsDirectory + "/" + name, job: name) { folders += 1 }
        }
        return MaintenanceView.Swept(containers: removed.map(\.containerID), outputFolders: folders)
    }

    /// Removes a job's file or folder; true when it was there. A failure is logged and the run goes on.
    func removeFile(_ path: String, job: String) -> Bool {
        do {
            try FileManager.default.removeItem(atPath: path)
            return true
        } catch CocoaError.fileNoSuchFile {
            return false
        } catch {
            logger.warning(
                "removing a job's file failed",
                metadata: ["JOB_ID": "\(job)", "path": "\(path)", "error": "\(error)"]
            )
            return false
        }
    }
}
