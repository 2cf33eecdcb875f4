import CosmosAPI
import CosmosDomain
import CosmosStore
import Hummingbird

/// `/v1/batches`, `/v1/batches/:id` and its actions.
struct BatchesController: Sendable {
    let commands: Commands
    let queries: Queries

    func register<Context: ControlContext>(on router: Router<Context>) {
        let id = APIPath.parameter("id")
        router.post(RouterPath(APIPath.batches)) { request, context in
            let shape = "{\"name\": \"...\", \"jobs\": [job spec, ...]}"
            let object = try await RequestParts.object(request, context: context, shape: shape)
            let items = try RequestParts.jobs(object, shape: shape)
            let name = if case .string(let name)? = object["name"] { name } else { "" }
            let batch = try await commands.createBatch(name: name, items: items, by: try await context.caller())
            return try Response.json(try await queries.view(batch), status: .created)
        }
        router.get(RouterPath(APIPath.batches)) { request, context in
            var status: BatchProgress.Status?
            if let text = request.uri.queryParameters.get("status") {
                guard let value = BatchProgress.Status(rawValue: text) else {
                    let all = BatchProgress.Status.allCases.map(\.rawValue).joined(separator: ", ")
                    throw InvalidRequest(field: "status", reason: "unknown status \"\(text)\"; use one of \(all)")
                }
                status = value
            }
            return try Response.json(
                BatchesResponse(
                    batches: try await queries.batches(status: status, for: try await context.caller().identity)
                )
            )
        }
        router.get(RouterPath(APIPath.batch(id))) { _, context in
            try Response.json(
                try await queries.batch(try RequestParts.batchID(context), for: try await context.caller().identity)
            )
        }
        let actions: [(BatchAction, @Sendable (String, PeerCredentials) async throws -> BatchRecord)] = [
            (.pause, commands.pauseBatch), (.resume, commands.resumeBatch), (.retryFailed, commands.retryFailed),
        ]
        for (action, command) in actions {
            router.post(RouterPath(APIPath.batch(id, action))) { _, context in
                let batch = try await command(try RequestParts.batchID(context), try await context.caller())
                return try Response.json(try await queries.view(batch))
            }
        }
        router.post(RouterPath(APIPath.batch(id, .cancel))) { request, context in
            let body = try await request.decode(as: BatchCancelRequest.self, context: context)
            let batch = try await commands.cancelBatch(
                try RequestParts.batchID(context),
                running: body.running,
                by: try await context.caller()
            )
            return try Response.json(try await queries.view(batch))
        }
        router.post(RouterPath(APIPath.batch(id, .move))) { request, context in
            let body = try await request.decode(as: MoveRequest.self, context: context)
            let batch = try await commands.moveBatch(
                try RequestParts.batchID(context),
                to: try body.target(),
                by: try await context.caller()
            )
            return try Response.json(try await queries.view(batch))
        }
        router.delete(RouterPath(APIPath.batch(id))) { _, context in
            let id = try RequestParts.batchID(context)
            let count = try await commands.deleteBatch(id, by: try await context.caller())
            return try Response.json(BatchDeletedResponse(id: id, jobs: count))
        }
    }
}
