import CosmosAPI
import Foundation

/// The steps of one maintenance run, from a request or, when it names none, from `[maintenance]` (pure).
struct MaintenancePlan: Equatable {
    var pruneDays: Double?
    var eventRetentionDays: Double?
    var pruneOutputs = false
    /// nil: no vacuum; false: incremental; true: full.
    var vacuumFull: Bool?
    var backupPath: String?
    var check = false
    var sweep = false

    /// Validates the request (naming the field) and fills in the configuration's steps when it names none.
    init(_ request: MaintenanceRequest, settings: MaintenanceSettings) throws {
        if request.isEmpty {
            pruneDays = settings.pruneDays > 0 ? settings.pruneDays : nil
            eventRetentionDays = settings.eventRetentionDays > 0 ? settings.eventRetentionDays : nil
            pruneOutputs = settings.pruneOutputs
            vacuumFull = settings.vacuum == .none ? nil : settings.vacuum == .full
            backupPath = settings.backupPath
            check = settings.check
            sweep = settings.sweep
            return
        }
        if let days = request.pruneDays {
            guard days.isFinite, days > 0, days <= 36_500 else {
                throw InvalidRequest(field: "prune_days", reason: "must be a number of days above 0 (got \(days))")
            }
            pruneDays = days
            eventRetentionDays = settings.eventRetentionDays > 0 ? settings.eventRetentionDays : nil
        }
        if request.pruneOutputs == true {
            guard pruneDays != nil else {
                throw InvalidRequest(field: "prune_outputs", reason: "needs prune_days: outputs go with pruned jobs")
            }
            pruneOutputs = true
        }
        switch request.vacuum {
        case nil: vacuumFull = nil
        case "incremental": vacuumFull = false
        case "full": vacuumFull = true
        case let other?:
            throw InvalidRequest(field: "vacuum", reason: "must be \"incremental\" or \"full\" (got \"\(other)\")")
        }
        if let path = request.backup {
            guard path.hasPrefix("/"), !path.hasSuffix("/"), !path.split(separator: "/").contains("..") else {
                throw InvalidRequest(
                    field: "backup",
                    reason: "must be an absolute file path without '..' (got \"\(path)\")"
                )
            }
            backupPath = path
        }
        check = request.check ?? false
        sweep = request.sweep ?? false
    }
}
