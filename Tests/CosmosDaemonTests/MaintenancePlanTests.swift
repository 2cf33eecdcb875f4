import CosmosAPI
import Testing

@testable import CosmosDaemon

/// Which steps a maintenance run takes: the request's, or with none the configuration's; bad input is named.
@Suite("Maintenance plan")
struct MaintenancePlanTests {
    @Test("no flags: the configuration's steps; 0 days turns pruning off")
    func fromConfiguration() throws {
        var settings = MaintenanceSettings()
        settings.backupPath = "/var/lib/cosmos-worker/backup.db"
        let plan = try MaintenancePlan(MaintenanceRequest(), settings: settings)
        #expect(plan.pruneDays == 30 && plan.eventRetentionDays == 30 && plan.vacuumFull == false)
        #expect(plan.check && plan.sweep && plan.backupPath == "/var/lib/cosmos-worker/backup.db")
        settings.pruneDays = 0
        settings.vacuum = .none
        settings.check = false
        let off = try MaintenancePlan(MaintenanceRequest(), settings: settings)
        #expect(off.pruneDays == nil && off.vacuumFull == nil && !off.check)
    }

    @Test("with flags: only the steps given run")
    func fromRequest() throws {
        let plan = try MaintenancePlan(MaintenanceRequest(vacuum: "full", check: true), settings: MaintenanceSettings())
        #expect(plan.vacuumFull == true && plan.check)
        #expect(plan.pruneDays == nil && !plan.sweep && plan.backupPath == nil)
        let prune = try MaintenancePlan(MaintenanceRequest(pruneDays: 0.5), settings: MaintenanceSettings())
        #expect(prune.pruneDays == 0.5 && prune.eventRetentionDays == 30 && !prune.check)
    }

    @Test(
        "bad values are refused, naming the field",
        arguments: [
            (MaintenanceRequest(pruneDays: -1), "prune_days"),
            (MaintenanceRequest(pruneDays: .nan), "prune_days"),
            (MaintenanceRequest(pruneOutputs: true), "prune_outputs"),
            (MaintenanceRequest(vacuum: "sometimes"), "vacuum"),
            (MaintenanceRequest(backup: "backup.db"), "backup"),
            (MaintenanceRequest(backup: "/var/lib/../etc/passwd"), "backup"),
        ]
    )
    func refused(request: MaintenanceRequest, field: String) {
        #expect(throws: InvalidRequest.self) { _ = try MaintenancePlan(request, settings: MaintenanceSettings()) }
        do {
            _ = try MaintenancePlan(request, settings: MaintenanceSettings())
        } catch let error as InvalidRequest {
            #expect(error.field == field)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
