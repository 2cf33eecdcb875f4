import CosmosDomain

/// One message of the event stream, as Server-Sent Events writes it: `id:`, `event:` and one line of JSON `data:`.
struct StreamMessage: Sendable, Equatable {
    /// The last sequence number the message covers; a client resumes after it (`Last-Event-ID`).
    var id: Int64?
    /// The event type, or its aggregate (`jobs.started`), or `resync`.
    var event: String
    var data: JSONValue
    /// How many log entries it covers (0 for a resync).
    var entries = 1

    /// The message in the `text/event-stream` format, ending with its blank line.
    var text: String {
        var text = ""
        if let id { text += "id: \(id)\n" }
        return text + "event: \(event)\ndata: \(data.jsonString())\n\n"
    }

    /// An SSE comment that keeps proxies from closing an idle connection.
    static let heartbeat = ": heartbeat\n\n"
}
