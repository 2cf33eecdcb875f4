import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation

/// Smart batching's views: the stored analysis with its staleness, the report, the cost model.
extension Queries {
    /// The stored analysis as `preview` shows it, stale or not.
    func smartBatchPreview() async throws -> SmartBatchPlanView {
        let (analysis, changes) = try await database.smartBatchPreview()
        return Self.view(analysis, changes: changes)
    }

    /// An analysis as the API shows it; `changes` says what made it stale.
    static func view(_ analysis: SmartBatchAnalysis, changes: String?) -> SmartBatchPlanView {
        SmartBatchPlanView(
            id: analysis.id,
            mode: analysis.plan.mode,
            stale: changes != nil,
            changes: changes,
            createdAt: Timestamp.format(analysis.createdAt),
            groups: analysis.runs.map { run in
                SmartBatchPlanView.Group(
                    jobIds: run.group.jobIDs,
                    controls: run.group.controls,
                    size: run.group.size,
                    limit: run.group.limit,
                    limitNote: run.group.limitNote,
                    expectedSpeedup: run.expectedSpeedup,
                    setupSeconds: run.estimate.setupSeconds,
                    itemSeconds: run.estimate.itemSeconds,
                    estimate: run.estimate.learned ? "learned" : "default",
                    samples: run.estimate.samples
                )
            },
            excluded: analysis.plan.excluded,
            jobsBefore: analysis.plan.jobsBefore,
            runsAfter: analysis.plan.runsAfter,
            expectedSpeedup: analysis.expectedSpeedup,
            estimate: analysis.learned ? "learned" : "default"
        )
    }

    /// `smart-batch report`: the last executed plan, predicted against measured.
    func smartBatchReport() async throws -> SmartBatchReportView {
        let report = try await database.smartBatchReport(defaults: configuration.smartBatch.defaults)
        return SmartBatchReportView(
            planId: report.planID,
            predictedSpeedup: report.predictedSpeedup,
            measuredSpeedup: report.measuredSpeedup,
            failedItems: report.failedItems,
            runs: report.runs.map { run in
                SmartBatchReportView.Run(
                    parentId: run.parentID,
                    size: run.size,
                    state: run.state.rawValue,
                    predictedSeconds: run.predictedSeconds,
                    measuredSeconds: run.measuredSeconds,
                    aloneSeconds: run.aloneSeconds,
                    failedItems: run.failedItems,
                    requeuedItems: run.requeuedItems
                )
            }
        )
    }

    /// `cost-model`: per image and control signature, what the daemon has learned.
    func costModel() async throws -> [CostModelView] {
        try await database.costModel(defaults: configuration.smartBatch.defaults).map { entry in
            CostModelView(
                image: entry.image,
                controls: entry.controls,
                samples: entry.estimate.samples,
                setupSeconds: entry.estimate.setupSeconds,
                itemSeconds: entry.estimate.itemSeconds,
                bound: entry.estimate.bound,
                learned: entry.estimate.learned
            )
        }
    }
}
