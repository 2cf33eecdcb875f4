/// A Server-Sent Events parser: feed it bytes as they arrive, get complete messages (pure).
struct ServerSentEvents {
    /// One message: its `id`, `event` and `data` fields (several `data:` lines are joined with newlines).
    struct Message: Equatable, Sendable {
        var id: String?
        var event: String
        var data: String
    }

    private var buffer: [UInt8] = []
    private var id: String?
    private var event = ""
    private var data: [String] = []

    /// Adds bytes; returns the messages they complete, in order. Comments (`: heartbeat`) are skipped.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Message] {
        buffer.append(contentsOf: bytes)
        var messages: [Message] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            if line.isEmpty {
                if !data.isEmpty || !event.isEmpty {
                    messages.append(
                        Message(id: id, event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n"))
                    )
                }
                (id, event, data) = (nil, "", [])
                continue
            }
            if line.hasPrefix(":") { continue }
            let (field, value) = Self.split(line)
            switch field {
            case "id": id = value
            case "event": event = value
            case "data": data.append(value)
            default: break
            }
        }
        return messages
    }

    /// `field: value` (one optional space after the colon).
    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
