import CosmosAPI
import CosmosDomain
import CosmosStore
import HTTPTypes
import Hummingbird

/// `GET /v1/events`: the event log as Server-Sent Events, resumable from `since` or `Last-Event-ID`.
struct EventsController: Sendable {
    let streamer: EventStreamer
    /// Narrows the stream to what the caller may see (`[access] private`), checked when it subscribes.
    let access: AccessPolicy

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.get(RouterPath(APIPath.events)) { request, context in
            try stream(request, viewer: try await context.caller().identity)
        }
    }

    /// Reads the cursor and the filters, then answers with the stream.
    func stream(_ request: Request, viewer: CallerIdentity) throws -> Response {
        let query = request.uri.queryParameters
        var since: Int64 = 0
        // A reconnecting EventSource sends Last-Event-ID, newer than the `since` its URL was opened with.
        if let text = request.headers[HTTPField.Name("Last-Event-ID")!] ?? query.get("since") {
            guard let value = Int64(text), value >= 0 else {
                throw InvalidRequest(field: "since", reason: "must be a sequence number >= 0 (got \"\(text)\")")
            }
            since = value
        }
        let jobs = query.getAll("job").map { String($0) }
        let batches = query.getAll("batch").map { String($0) }
        var selection: EventSelection
        do {
            selection = try EventSelection(
                jobs: jobs.isEmpty ? nil : Set(jobs),
                batches: batches.isEmpty ? nil : Set(batches),
                typeNames: query.getAll("type").map { String($0) }
            )
        } catch {
            let known = EventSelection.typeNames.joined(separator: ", ")
            throw InvalidRequest(field: "type", reason: "unknown event type \"\(error.name)\"; use one of \(known)")
        }
        selection.filter.owner = access.visibleOwners(viewer)
        let follow = query.get("follow") == "true"
        let (streamer, cursor, selected) = (self.streamer, since, selection)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await streamer.stream(after: cursor, selection: selected, follow: follow, writer: &writer)
                try await writer.finish(nil)
            }
        )
    }
}
