import CosmosAPI
import CosmosDomain
import CosmosStore
import Hummingbird

/// `/v1/smart-batch` (preview, discard), its analyze, execute and report actions, and `/v1/cost-model`.
struct SmartBatchController: Sendable {
    let commands: Commands
    let queries: Queries

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.post(RouterPath(APIPath.smartBatch(.analyze))) { request, context in
            let body = try await RequestParts.decodeOptional(SmartBatchAnalyzeRequest.self, request, context: context)
            let analysis = try await commands.analyzeSmartBatch(body ?? .init(), by: try await context.caller())
            return try Response.json(Queries.view(analysis, changes: nil), status: .created)
        }
        router.get(RouterPath(APIPath.smartBatch)) { _, context in
            try commands.access.authorize(.readEveryones(verb: "smart-batch preview"), by: try await context.caller())
            return try Response.json(try await queries.smartBatchPreview())
        }
        router.post(RouterPath(APIPath.smartBatch(.execute))) { request, context in
            let body = try await RequestParts.decodeOptional(SmartBatchExecuteRequest.self, request, context: context)
            let (analysis, resumed) = try await commands.executeSmartBatch(
                body ?? .init(),
                by: try await context.caller()
            )
            return try Response.json(
                SmartBatchExecutedView(
                    planId: analysis.id,
                    runs: analysis.runs.compactMap(\.parentID),
                    jobs: analysis.runs.map(\.group.size).reduce(0, +),
                    resumed: resumed
                )
            )
        }
        router.get(RouterPath(APIPath.smartBatch(.report))) { _, context in
            try commands.access.authorize(.readEveryones(verb: "smart-batch report"), by: try await context.caller())
            return try Response.json(try await queries.smartBatchReport())
        }
        router.delete(RouterPath(APIPath.smartBatch)) { _, context in
            let id = try await commands.discardSmartBatch(by: try await context.caller())
            return try Response.json(SmartBatchDiscardedView(planId: id))
        }
        router.get(RouterPath(APIPath.costModel)) { _, _ in
            try Response.json(try await queries.costModel())
        }
    }
}
