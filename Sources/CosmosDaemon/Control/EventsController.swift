import CosmosAPI
import CosmosDomain
import CosmosStore
import HTTPTypes
import Hummingbird

/// `GET /v1/events`: the event log as Server-Sent Events, resumable from `since` or `Last-Event-ID`.
struct EventsController: Sendable {
    let streamer: EventStreamer

    func register<Context: ControlContext>(on router: Router<Context>) {
        router.get(RouterPath(APIPath.events)) { request, _ in try stream(request) }
    }

    /// Reads the cursor and the filters, then answers with the stream.
    func stream(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var since: Int64 = 0
        if let text = query.get("since") ?? request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let value = Int64(text), value >= 0 else {
                throw InvalidRequest(field: "since", reason: "must be a sequence number >= 0 (got \"\(text)\")")
            }
            since = value
        }
        var filter = EventFilter()
        let jobs = query.getAll("job")
        if !jobs.isEmpty { filter.jobs = Set(jobs.map { String($0) }) }
        let batches = query.getAll("batch")
        if !batches.isEmpty { filter.batches = Set(batches.map { String($0) }) }
        let types = query.getAll("type")
        if !types.isEmpty {
            filter.types = Set(
                try types.map { text in
                    guard let type = EventType(rawValue: String(text)), type != .legacy else {
                        let known = EventType.allCases.filter { $0 != .legacy }.map(\.rawValue).joined(separator: ", ")
                        throw InvalidRequest(
                            field: "type",
                            reason: "unknown event type \"\(text)\"; use one of \(known)"
                        )
                    }
                    return type
                }
            )
        }
        let follow = query.get("follow") == "true"
        let (streamer, cursor, wanted) = (self.streamer, since, filter)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await streamer.stream(after: cursor, filter: wanted, follow: follow, writer: &writer)
                try await writer.finish(nil)
            }
        )
    }
}
