import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/jobs`, `/v1/jobs/:id` and its actions, and `/v1/batch-runs`.
struct JobsController: Sendable {
    let commands: Commands
    let queries: Queries

    func register<Context: ControlContext>(on router: Router<Context>) {
        let id = APIPath.parameter("id")
        router.post(RouterPath(APIPath.jobs)) { request, context in
            let shape = "{\"jobs\": [job spec, ...]}"
            let items = try RequestParts.jobs(
                try await RequestParts.object(request, context: context, shape: shape),
                shape: shape
            )
            let jobs = try await commands.submit(items, by: try await context.caller())
            return try Response.json(JobsResponse(jobs: try await queries.views(jobs)), status: .created)
        }
        router.get(RouterPath(APIPath.jobs)) { request, context in try await list(request, context: context) }
        router.get(RouterPath(APIPath.job(id))) { _, context in
            try Response.json(
                try await queries.job(try RequestParts.jobID(context), for: try await context.caller().identity)
            )
        }
        router.get(RouterPath(APIPath.job(id, .logs))) { request, context in try await logs(request, context: context) }
        let actions: [(JobAction, @Sendable (String, PeerCredentials) async throws -> RankedJob)] = [
            (.cancel, commands.cancel), (.retry, commands.retry), (.hold, commands.hold), (.release, commands.release),
        ]
        for (action, command) in actions {
            router.post(RouterPath(APIPath.job(id, action))) { _, context in
                let job = try await command(try RequestParts.jobID(context), try await context.caller())
                return try Response.json(try await queries.views([job])[0])
            }
        }
        router.post(RouterPath(APIPath.job(id, .move))) { request, context in
            let body = try await request.decode(as: MoveRequest.self, context: context)
            let job = try await commands.move(
                try RequestParts.jobID(context),
                to: try body.target(),
                by: try await context.caller()
            )
            return try Response.json(try await queries.views([job])[0])
        }
        router.post(RouterPath(APIPath.job(id, .priority))) { request, context in
            let body = try await request.decode(as: PriorityRequest.self, context: context)
            let job = try await commands.setPriority(
                try RequestParts.jobID(context),
                to: body.priority,
                by: try await context.caller()
            )
            return try Response.json(try await queries.views([job])[0])
        }
        router.post(RouterPath(APIPath.upscales)) { request, context in
            let body = try await request.decode(as: UpscaleRequest.self, context: context)
            let job = try await commands.upscale(body, by: try await context.caller())
            return try Response.json(JobsResponse(jobs: try await queries.views([job])), status: .created)
        }
        router.post(RouterPath(APIPath.enhanceRuns)) { request, context in
            let body = try await request.decode(as: EnhanceBatchRequest.self, context: context)
            let (parent, children) = try await commands.enhanceBatch(body, by: try await context.caller())
            return try Response.json(try await queries.view(parent: parent, children: children), status: .created)
        }
        router.post(RouterPath(APIPath.batchRuns)) { request, context in
            let shape = "{\"jobs\": [job spec, ...]}"
            let items = try RequestParts.jobs(
                try await RequestParts.object(request, context: context, shape: shape),
                shape: shape
            )
            let (parent, children) = try await commands.submitBatchRun(items, by: try await context.caller())
            return try Response.json(try await queries.view(parent: parent, children: children), status: .created)
        }
    }

    /// `GET /v1/jobs?state=S&limit=N`.
    func list(_ request: Request, context: some ControlContext) async throws -> Response {
        var state: JobState?
        if let text = request.uri.queryParameters.get("state") {
            guard let value = JobState(rawValue: text) else {
                let states = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                throw InvalidRequest(field: "state", reason: "unknown state \"\(text)\"; use one of \(states)")
            }
            state = value
        }
        var limit: Int?
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), value >= 0 else {
                throw InvalidRequest(field: "limit", reason: "must be a whole number >= 0 (got \"\(text)\")")
            }
            limit = value
        }
        return try Response.json(
            JobsResponse(
                jobs: try await queries.jobs(
                    state: state,
                    limit: limit,
                    for: try await context.caller().identity
                )
            )
        )
    }

    /// `GET /v1/jobs/:id/logs[?follow=true]`: the log file, and with `follow` what is appended until the job ends.
    func logs(_ request: Request, context: some ControlContext) async throws -> Response {
        let id = try RequestParts.jobID(context)
        let caller = try await context.caller()
        _ = try await queries.job(id, for: caller.identity)
        let follow = request.uri.queryParameters.get("follow") == "true"
        if follow { try await commands.authorizeFollow(id, by: caller) }
        let path = JobLogFile.path(for: id, in: queries.configuration.logsDirectory)
        let queries = self.queries
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await JobLogFile.stream(path: path, follow: follow, writer: &writer) {
                    try await queries.hasEnded(id)
                }
                try await writer.finish(nil)
            }
        )
    }
}
