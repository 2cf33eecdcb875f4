import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// Smart batching: analyze the paused queue, execute the plan, discard it.
///
/// These change other users' work, so they are admin actions. Each analysis and execution is logged with its
/// plan id, job count and run count.
extension Commands {
    /// `smart-batch analyze [--mixed] [--max-batch N]`: stores the analysis; the queue is unchanged.
    func analyzeSmartBatch(_ request: SmartBatchAnalyzeRequest, by caller: PeerCredentials) async throws
        -> SmartBatchAnalysis
    {
        try await audited("smart-batch analyze", "smart-batch plan", by: caller) {
            try access.authorize(.operate(verb: "smart-batch analyze"), by: caller)
            if let maxBatch = request.maxBatch, maxBatch < 1 {
                throw InvalidRequest(field: "max_batch", reason: "must be 1 or more (got \(maxBatch))")
            }
            let configuration = self.configuration
            let analysis = try await database.analyzeSmartBatch(
                mode: request.mixed ? .mixed : .strict,
                limits: SmartBatchPlanner.Limits(configured: configuration.batchRunLimits, maxBatch: request.maxBatch),
                defaults: configuration.smartBatch.defaults
            )
            logger.notice(
                "smart batch analyzed",
                metadata: [
                    "PLAN_ID": "\(analysis.id)", "mode": "\(analysis.plan.mode.rawValue)",
                    "jobs": "\(analysis.plan.jobsBefore)", "runs": "\(analysis.plan.runsAfter)",
                    "groups": "\(analysis.runs.count)", "CALLER_UID": "\(caller.uid)",
                ]
            )
            return analysis
        }
    }

    /// `smart-batch execute [--keep-paused]`: regroups the jobs in one transaction, unless the analysis is stale;
    /// then resumes the queue unless asked not to. Returns the executed analysis and whether it resumed.
    func executeSmartBatch(_ request: SmartBatchExecuteRequest, by caller: PeerCredentials) async throws
        -> (analysis: SmartBatchAnalysis, resumed: Bool)
    {
        try await audited("smart-batch execute", "smart-batch plan", by: caller) {
            try access.authorize(.operate(verb: "smart-batch execute"), by: caller)
            let analysis: SmartBatchAnalysis
            do {
                analysis = try await database.executeSmartBatch()
            } catch let error as SmartBatchError {
                if case .stale(let id, let changes) = error {
                    logger.notice(
                        "smart batch refused: stale",
                        metadata: ["PLAN_ID": "\(id)", "changes": "\(changes)", "CALLER_UID": "\(caller.uid)"]
                    )
                }
                throw error
            }
            logger.notice(
                "smart batch executed",
                metadata: [
                    "PLAN_ID": "\(analysis.id)", "jobs": "\(analysis.runs.map(\.group.size).reduce(0, +))",
                    "runs": "\(analysis.runs.count)", "CALLER_UID": "\(caller.uid)",
                ]
            )
            if !request.keepPaused {
                try await setPaused(false, by: caller)
            }
            return (analysis, !request.keepPaused)
        }
    }

    /// `smart-batch discard`: forgets the stored analysis; returns its id.
    func discardSmartBatch(by caller: PeerCredentials) async throws -> String {
        try await audited("smart-batch discard", "smart-batch plan", by: caller) {
            try access.authorize(.operate(verb: "smart-batch discard"), by: caller)
            let id = try await database.discardSmartBatch()
            logger.notice("smart batch discarded", metadata: ["PLAN_ID": "\(id)", "CALLER_UID": "\(caller.uid)"])
            return id
        }
    }
}
