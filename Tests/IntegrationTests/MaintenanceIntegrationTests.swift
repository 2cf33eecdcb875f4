import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `cosmosctl maintenance run` on the real daemon and engine, while jobs run.
@Suite("Maintenance", .serialized)
struct MaintenanceIntegrationTests {
    /// Submits `count` busybox jobs running `script`; returns their ids.
    func submit(_ daemon: DaemonHarness, _ count: Int, _ script: String, name: String) throws -> [String] {
        let lines = (0..<count).map {
            #"{"name": "\#(name)-\#($0)", "image": "cosmos-test/busybox:latest", "command": ["sh", "-c", "\#(script)"]}"#
        }
        let path = daemon.directory.path + "/\(name).jsonl"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return try daemon.ctlJSON([JobView].self, ["submit", "--file", path]).map(\.id)
    }

    /// Runs a query on a SQLite file with Python's sqlite3 module (the test reads the backup independently).
    func sqlite(_ path: String, _ query: String) -> String {
        let script =
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print('\\n'.join(str(r[0]) for r in c.execute(sys.argv[2])))"
        return DaemonHarness.run("/usr/bin/python3", ["-c", script, path, query]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("during a 50-job run: old jobs are pruned with their logs, the backup is whole, nothing is lost")
    func duringARun() throws {
        try withDaemon(gpus: 2, daemonExtra: "orphan_grace_seconds = 1") { daemon in
            // Ten jobs that will be older than the cut-off, and a batch that stays unfinished (one job held).
            let old = try submit(daemon, 10, "echo old", name: "old")
            let batch = try daemon.ctlJSON(
                BatchView.self,
                ["batch", "create", "open", "--file", daemon.directory.path + "/old.jsonl"]
            )
            let batchJobs = try daemon.ctlJSON(BatchView.self, ["batch", "show", batch.id]).jobs ?? []
            _ = daemon.ctl(["hold", batchJobs[0].id])
            let finished = try daemon.waitFinished(old + batchJobs.dropFirst().map(\.id))
            #expect(finished.allSatisfy { $0.state == .succeeded })
            let logs = daemon.stateDirectory + "/logs"
            #expect(old.allSatisfy { FileManager.default.fileExists(atPath: "\(logs)/\($0).log") })
            // Older than a 4 s cut-off: the newest of them finished more than 4 s ago.
            let newest = finished.compactMap { $0.finishedAt.flatMap(Timestamp.parse) }.max() ?? Date()
            try waitUntil("the first jobs are older than the cut-off", timeout: 30) {
                Date().timeIntervalSince(newest) > 4.5
            }

            // An orphan: a container of this instance that no job owns, older than the grace period.
            let instance = try daemon.ctlJSON(StatusView.self, ["status"]).instance
            let orphan = DaemonHarness.docker([
                "create", "--label", "\(ContainerLabel.instance)=\(instance)", "--label",
                "\(ContainerLabel.job)=nosuchjob2", "cosmos-test/busybox:latest", "true",
            ]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let createdBy = Date()  // the engine created it before this
            #expect(!orphan.isEmpty)
            try waitUntil("the orphan is past the 1 s grace period", timeout: 30) {
                Date().timeIntervalSince(createdBy) > 1.5
            }

            let run = try submit(daemon, 50, "sleep 0.3; echo run", name: "run")
            let backup = daemon.directory.path + "/backup/cosmos.db"
            let report = try daemon.ctlJSON(
                MaintenanceView.self,
                [
                    "maintenance", "run", "--prune-days", String(4.0 / 86_400), "--backup", backup, "--check",
                    "--vacuum", "--sweep",
                ]
            )
            #expect(report.ok && report.check?.ok == true)
            // It ran while the run did: some of its jobs had not ended yet.
            let unfinished = try daemon.ctlJSON([JobView].self, ["list"]).filter {
                run.contains($0.id) && !$0.state.isTerminal
            }
            #expect(!unfinished.isEmpty)
            // The ten old jobs went; the batch's jobs and the 50 (all younger) stayed.
            #expect(report.pruned?.jobs == 10 && report.pruned?.logFiles == 10, "\(String(describing: report.pruned))")
            #expect(old.allSatisfy { !FileManager.default.fileExists(atPath: "\(logs)/\($0).log") })
            #expect(daemon.ctl(["show", old[0]]).status != 0)
            #expect(try daemon.ctlJSON(BatchView.self, ["batch", "show", batch.id]).total == 10)
            // The backup passes its own check when read on its own, and holds every job of the run.
            #expect(sqlite(backup, "PRAGMA integrity_check") == "ok")
            let inBackup = Set(sqlite(backup, "SELECT id FROM job").split(separator: "\n").map(String.init))
            #expect(Set(run).isSubset(of: inBackup) && inBackup.isDisjoint(with: old))
            #expect(report.backup?.jobs == inBackup.count)
            // The orphan is gone (the sweep removed it, or a reconciliation the run's exits set off did first).
            #expect(DaemonHarness.docker(["inspect", orphan]).status != 0)
            // Nothing lost: every job of the run ends once, successfully.
            let ended = try daemon.waitFinished(run, timeout: 240)
            #expect(ended.count == 50 && ended.allSatisfy { $0.state == .succeeded && $0.attempts == 1 })
            #expect(try daemon.ctlJSON(BatchView.self, ["batch", "show", batch.id]).held == 1)
        }
    }

    @Test("sweep removes a container of this instance that no job owns, once past the grace period")
    func sweep() throws {
        try withDaemon(daemonExtra: "orphan_grace_seconds = 5\nreconcile_interval_seconds = 3600") { daemon in
            let instance = try daemon.ctlJSON(StatusView.self, ["status"]).instance
            let created = DaemonHarness.docker([
                "create", "--label", "\(ContainerLabel.instance)=\(instance)", "--label",
                "\(ContainerLabel.job)=nosuchjob1",
                "cosmos-test/busybox:latest", "true",
            ])
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(created.status == 0 && !id.isEmpty, "\(created.stderr)")
            // Younger than the grace period: kept.
            let early = try daemon.ctlJSON(MaintenanceView.self, ["maintenance", "run", "--sweep"])
            #expect(early.swept?.containers == [])
            try waitUntil("the container is past the grace period", timeout: 30) {
                let swept = try daemon.ctlJSON(MaintenanceView.self, ["maintenance", "run", "--sweep"])
                return swept.swept?.containers == [id]
            }
            #expect(DaemonHarness.docker(["inspect", id]).status != 0)
            // An output folder of a job the store does not have goes too.
            let stale = daemon.stateDirectory + "/outputs/zzzzzzzzzz"
            try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
            #expect(
                try daemon.ctlJSON(MaintenanceView.self, ["maintenance", "run", "--sweep"]).swept?.outputFolders == 1
            )
            #expect(!FileManager.default.fileExists(atPath: stale))
        }
    }

    @Test("maintenance is for admins: another user gets exit 4 and nothing runs")
    func adminsOnly() throws {
        try withDaemon { daemon in
            chmod(daemon.directory.path, 0o755)
            chmod(daemon.socket, 0o666)
            let ctl = daemon.directory.path + "/cosmosctl"
            try FileManager.default.copyItem(atPath: DaemonHarness.binDirectory + "/cosmosctl", toPath: ctl)
            chmod(ctl, 0o755)
            let result = DaemonHarness.run(
                "/usr/bin/setpriv",
                [
                    "--reuid=1002", "--regid=1002", "--clear-groups", ctl, "--socket", daemon.socket, "maintenance",
                    "run",
                ]
            )
            #expect(result.status == 4)
            #expect(result.stderr.contains("maintenance is for admins"), "\(result.stderr)")
        }
    }
}
