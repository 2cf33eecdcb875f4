import ArgumentParser
import CosmosAPI
import Foundation

/// `cosmosctl maintenance`: the database's upkeep, run inside the daemon while it works.
struct Maintenance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prune, sweep, vacuum, check and back up the daemon's database (admins; safe while jobs run).",
        discussion: """
            Restoring a backup is done with the daemon stopped: see docs/maintenance.md.
            """,
        subcommands: [MaintenanceRun.self]
    )
}

/// `cosmosctl maintenance run [flags]`.
struct MaintenanceRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run maintenance now: without flags, the steps [maintenance] in the configuration names.",
        discussion: """
            With any flag only the steps given run. Exits 1 when the check finds a problem (after printing the \
            report), 4 when the caller is not an admin.
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Prune finished jobs older than this many days (fractions allowed), with their events and logs.")
    var pruneDays: Double?
    @Flag(help: "With --prune-days, also remove the pruned jobs' output folders.") var pruneOutputs = false
    @Flag(help: "Reclaim free pages (incremental vacuum).") var vacuum = false
    @Flag(help: "Rewrite the whole file (VACUUM); also turns on incremental vacuum for later runs.")
    var vacuumFull = false
    @Option(help: "Write an online, checked backup of the database to this absolute path (on the daemon's machine).")
    var backup: String?
    @Flag(help: "Check the file: PRAGMA integrity_check and foreign_key_check.") var check = false
    @Flag(help: "Remove this instance's containers that no job owns, and output folders of jobs that are gone.")
    var sweep = false

    func validate() throws {
        if vacuum && vacuumFull { throw ValidationError("--vacuum and --vacuum-full: choose one") }
        if pruneOutputs && pruneDays == nil { throw ValidationError("--prune-outputs needs --prune-days") }
    }

    func run() async throws {
        let request = MaintenanceRequest(
            pruneDays: pruneDays,
            pruneOutputs: pruneOutputs ? true : nil,
            vacuum: vacuumFull ? "full" : vacuum ? "incremental" : nil,
            backup: backup,
            check: check ? true : nil,
            sweep: sweep ? true : nil
        )
        let view = try await globals.withClient {
            try await $0.send(.POST, APIPath.maintenance, body: request, as: MaintenanceView.self, timeout: .hours(6))
        }
        if output.json {
            try Output.printJSON(view)
        } else {
            Self.printReport(view)
        }
        if !view.ok { throw ExitCode.failure }
    }

    /// One line per step that ran.
    static func printReport(_ view: MaintenanceView) {
        if let pruned = view.pruned {
            print(
                "pruned: \(pruned.jobs) jobs (\(pruned.batches) batches), \(pruned.events) events, "
                    + "\(pruned.logFiles) log files, \(pruned.outputFolders) output folders"
                    + (pruned.cutoff.map { " (finished before \($0))" } ?? "")
            )
        }
        if let swept = view.swept {
            print("swept: \(swept.containers.count) containers, \(swept.outputFolders) output folders")
        }
        if let vacuum = view.vacuum {
            print(
                "vacuum (\(vacuum.mode)): \(vacuum.pagesBefore) → \(vacuum.pagesAfter) pages, "
                    + "\(vacuum.bytesFreed) bytes freed" + (vacuum.note.map { "; \($0)" } ?? "")
            )
        }
        if let check = view.check {
            print(
                "check: \(check.ok ? "ok" : "FAILED") (integrity \(check.integrity), "
                    + "\(check.foreignKeyProblems) foreign-key problems)"
            )
        }
        if let backup = view.backup {
            print("backup: \(backup.path) (\(backup.bytes) bytes, \(backup.jobs) jobs, integrity \(backup.integrity))")
        }
        if view.pruned == nil && view.swept == nil && view.vacuum == nil && view.check == nil && view.backup == nil {
            print("nothing to do: [maintenance] turns every step off")
        }
    }
}
