import AsyncHTTPClient
import Foundation
import NIOCore

extension DockerClient {
    /// `GET /containers/{id}/logs`: the container's output as a stream of ``LogChunk``s.
    ///
    /// Returns once the engine accepted the request, so a missing container throws here rather than while iterating.
    /// Without `follow` the stream ends after the output so far; with `follow` it ends when the container stops (or
    /// never, for a container that keeps running). Streams have no read timeout; cancel the iterating task to stop.
    ///
    /// Output of containers without a TTY is demultiplexed (see ``LogDemultiplexer``); output of TTY containers is
    /// passed through as `.stdout`. Engines from API 1.42 say which it is; for older ones the first bytes decide.
    /// - Parameters:
    ///   - since: Only output written at or after this time.
    ///   - until: Only output written before this time.
    ///   - timestamps: Prefix each frame with its RFC3339Nano time and a space; see ``LogChunk/splitTimestamp()``.
    ///   - tail: Only the last `tail` lines; `nil` for all.
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if there is no such container.
    public func logs(
        id: String,
        follow: Bool = false,
        stdout: Bool = true,
        stderr: Bool = true,
        since: Date? = nil,
        until: Date? = nil,
        timestamps: Bool = false,
        tail: Int? = nil
    ) async throws -> DockerLogStream {
        var query: [(name: String, value: String)] = [
            ("follow", String(follow)), ("stdout", String(stdout)), ("stderr", String(stderr)),
            ("timestamps", String(timestamps)),
        ]
        if let since {
            query.append(("since", DockerTimestamp(since).unixSecondsString))
        }
        if let until {
            query.append(("until", DockerTimestamp(until).unixSecondsString))
        }
        query.append(("tail", tail.map(String.init) ?? "all"))
        let request = Request(.GET, "/containers/\(Self.percentEncode(id))/logs", query: query)
        let response = try await self.execute(request, lane: .long(headDeadline: self.requestTimeout))
        let contentType = response.headers.first(name: "Content-Type") ?? ""
        let framing: DockerLogStream.Framing
        if contentType.contains("multiplexed-stream") {
            framing = .multiplexed
        } else if contentType.contains("raw-stream") {
            framing = .raw
        } else {
            framing = .detect
        }
        return DockerLogStream(body: response.body, framing: framing)
    }

    /// `GET /events`: engine events as they happen, one ``DockerEvent`` per JSON line.
    ///
    /// Returns once the engine accepted the request. Without `until` the stream does not end by itself; cancel the
    /// iterating task to stop. With `since` in the past, past events are replayed first.
    /// - Parameters:
    ///   - filters: Engine filters, e.g. `["type": ["container"], "label": ["app=x"], "event": ["start", "die"]]`.
    public func events(
        since: Date? = nil,
        until: Date? = nil,
        filters: [String: [String]] = [:]
    ) async throws -> DockerEventStream {
        var query: [(name: String, value: String)] = []
        if let since {
            query.append(("since", DockerTimestamp(since).unixSecondsString))
        }
        if let until {
            query.append(("until", DockerTimestamp(until).unixSecondsString))
        }
        if !filters.isEmpty {
            query.append(("filters", try Self.encodeFilters(filters)))
        }
        let request = Request(.GET, "/events", query: query)
        let response = try await self.execute(request, lane: .long(headDeadline: self.requestTimeout))
        return DockerEventStream(body: response.body)
    }
}

/// The output of ``DockerClient/logs(id:follow:stdout:stderr:since:until:timestamps:tail:)``.
///
/// Iterate it once (a second iterator traps): the chunks are read from the connection as you consume them, so a slow
/// consumer slows the engine down instead of buffering without bound. Ending the iteration early or cancelling the
/// iterating task closes the connection.
public struct DockerLogStream: AsyncSequence, Sendable {
    public typealias Element = LogChunk

    enum Framing: Sendable {
        case multiplexed
        case raw
        /// Decide by the first bytes: a valid frame header means multiplexed.
        case detect
    }

    let body: HTTPClientResponse.Body
    let framing: Framing

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self.body.makeAsyncIterator(), framing: self.framing)
    }

    /// Reads and demultiplexes the response body on demand.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var body: HTTPClientResponse.Body.AsyncIterator
        private var framing: Framing
        private var demultiplexer = LogDemultiplexer()
        private var pending: [UInt8] = []
        private var finished = false

        init(body: HTTPClientResponse.Body.AsyncIterator, framing: Framing) {
            self.body = body
            self.framing = framing
        }

        public mutating func next() async throws -> LogChunk? {
            while true {
                switch self.framing {
                case .multiplexed:
                    if let chunk = try self.demultiplexer.next() {
                        return chunk
                    }
                    if self.finished {
                        try self.demultiplexer.finish()
                        return nil
                    }
                    guard let buffer = try await self.body.next() else {
                        self.finished = true
                        continue
                    }
                    self.demultiplexer.append(buffer.readableBytesView)
                case .raw:
                    if !self.pending.isEmpty {
                        defer { self.pending = [] }
                        return LogChunk(stream: .stdout, bytes: self.pending)
                    }
                    guard let buffer = try await self.body.next() else {
                        return nil
                    }
                    if buffer.readableBytes > 0 {
                        return LogChunk(stream: .stdout, bytes: Array(buffer.readableBytesView))
                    }
                case .detect:
                    if self.pending.count >= 4 || (self.finished && !self.pending.isEmpty) {
                        let looksFramed =
                            self.pending.count >= 4 && self.pending[0] <= 2 && self.pending[1] == 0
                            && self.pending[2] == 0 && self.pending[3] == 0
                        if looksFramed {
                            self.framing = .multiplexed
                            self.demultiplexer.append(self.pending)
                            self.pending = []
                        } else {
                            self.framing = .raw
                        }
                        continue
                    }
                    if self.finished {
                        return nil
                    }
                    guard let buffer = try await self.body.next() else {
                        self.finished = true
                        continue
                    }
                    self.pending.append(contentsOf: buffer.readableBytesView)
                }
            }
        }
    }
}

/// The output of ``DockerClient/events(since:until:filters:)``.
///
/// Iterate it once (a second iterator traps). Ending the iteration early or cancelling the iterating task closes the
/// connection.
public struct DockerEventStream: AsyncSequence, Sendable {
    public typealias Element = DockerEvent

    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self.body.makeAsyncIterator())
    }

    /// Reads the response body on demand and decodes one event per line.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var body: HTTPClientResponse.Body.AsyncIterator
        private var lines = LineSplitter()
        private var finished = false
        private let decoder = JSONDecoder()

        init(body: HTTPClientResponse.Body.AsyncIterator) {
            self.body = body
        }

        public mutating func next() async throws -> DockerEvent? {
            while true {
                let line: [UInt8]?
                if self.finished {
                    line = self.lines.finish()
                    if line == nil {
                        return nil
                    }
                } else {
                    line = self.lines.next()
                }
                if let line {
                    if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == 13 }) {
                        continue
                    }
                    do {
                        return try self.decoder.decode(DockerEvent.self, from: Data(line))
                    } catch {
                        throw DockerClientError.invalidResponse(
                            path: "/events",
                            reason: "\(error): \(String(decoding: line, as: UTF8.self))"
                        )
                    }
                }
                guard let buffer = try await self.body.next() else {
                    self.finished = true
                    continue
                }
                self.lines.append(buffer.readableBytesView)
            }
        }
    }
}
