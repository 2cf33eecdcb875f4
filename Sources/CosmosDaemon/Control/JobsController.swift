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

    /// `GET /v1/jobs?state=S&owner=U&batch=B&since=T&limit=N[&format=jsonl]`: the list, streamed as it is read.
    ///
    /// The answer is `{"jobs": [...]}` as before, or with `format=jsonl` one job object a line; either way the
    /// daemon writes each chunk of rows as the store reads it and holds no more than that.
    func list(_ request: Request, context: some ControlContext) async throws -> Response {
        let query = request.uri.queryParameters
        let filter = try Self.listFilter(request)
        var limit: Int?
        if let text = query.get("limit") {
            guard let value = Int(text), value >= 0 else {
                throw InvalidRequest(field: "limit", reason: "must be a whole number >= 0 (got \"\(text)\")")
            }
            limit = value
        }
        let format = query.get("format") ?? "json"
        guard format == "json" || format == "jsonl" else {
            throw InvalidRequest(field: "format", reason: "must be json or jsonl (got \"\(format)\")")
        }
        let viewer = try await context.caller().identity
        let (queries, most) = (self.queries, limit)
        var headers = HTTPFields()
        headers[.contentType] = format == "jsonl" ? "application/x-ndjson" : "application/json"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                var first = true
                if format == "json" { try await writer.write(ByteBuffer(string: "{\"jobs\":[")) }
                try await queries.streamJobs(filter: filter, limit: most, for: viewer) { views in
                    var buffer = ByteBuffer()
                    for view in views {
                        // Written directly (JSONEncoder was half the cost of a long list), with its exact bytes.
                        if format == "jsonl" {
                            buffer.writeBytes(try view.compactJSON())
                            buffer.writeString("\n")
                        } else {
                            if !first { buffer.writeString(",") }
                            buffer.writeBytes(try view.compactJSON())
                        }
                        first = false
                    }
                    try await writer.write(buffer)
                }
                if format == "json" { try await writer.write(ByteBuffer(string: "]}")) }
                try await writer.finish(nil)
            }
        )
    }

    /// The list's filters from the query: `state`, `owner` (a uid or a user name), `batch`, `since` (RFC 3339).
    static func listFilter(_ request: Request) throws -> JobListFilter {
        let query = request.uri.queryParameters
        var filter = JobListFilter()
        if let text = query.get("state") {
            guard let value = JobState(rawValue: text) else {
                let states = JobState.allCases.map(\.rawValue).joined(separator: ", ")
                throw InvalidRequest(field: "state", reason: "unknown state \"\(text)\"; use one of \(states)")
            }
            filter.state = value
        }
        if let text = query.get("owner") {
            guard let uid = Int(text) ?? AccessPolicy.userID(name: text).map(Int.init) else {
                throw InvalidRequest(field: "owner", reason: "no user \"\(text)\" here; give a user name or a uid")
            }
            filter.owner = uid
        }
        if let text = query.get("batch") {
            guard JobID.isWellFormed(text) else {
                throw InvalidRequest(field: "batch", reason: "\"\(text)\" is not a batch id")
            }
            filter.batch = text
        }
        if let text = query.get("since") {
            guard let date = Timestamp.parse(text) else {
                throw InvalidRequest(
                    field: "since",
                    reason: "is not an RFC 3339 time such as 2026-12-01T00:00:00.000Z (got \"\(text)\")"
                )
            }
            filter.since = date
        }
        return filter
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
