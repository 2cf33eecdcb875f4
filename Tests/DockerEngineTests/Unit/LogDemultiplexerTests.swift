import DockerEngine
import Testing

@Suite("LogDemultiplexer")
struct LogDemultiplexerTests {
    static func frame(_ stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [
            stream, 0, 0, 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
            UInt8(length & 0xFF),
        ] + payload
    }

    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        frame(stream, Array(text.utf8))
    }

    /// Feeds `input` in pieces of `pieceSize` bytes, draining after each piece.
    static func demultiplex(_ input: [UInt8], pieceSize: Int, maximumChunkSize: Int = 1 << 20) throws -> [LogChunk] {
        var demultiplexer = LogDemultiplexer(maximumChunkSize: maximumChunkSize)
        var chunks: [LogChunk] = []
        var offset = 0
        while offset < input.count {
            let end = min(offset + pieceSize, input.count)
            demultiplexer.append(input[offset..<end])
            offset = end
            while let chunk = try demultiplexer.next() {
                chunks.append(chunk)
            }
        }
        try demultiplexer.finish()
        return chunks
    }

    static let sample =
        frame(1, "out 1\n") + frame(2, "err 1\n") + frame(1, "") + frame(1, "out 2\n")
        + frame(2, [UInt8](repeating: 0x41, count: 70_000)) + frame(0, "in\n")

    static let expected = [
        LogChunk(stream: .stdout, bytes: Array("out 1\n".utf8)),
        LogChunk(stream: .stderr, bytes: Array("err 1\n".utf8)),
        LogChunk(stream: .stdout, bytes: Array("out 2\n".utf8)),
        LogChunk(stream: .stderr, bytes: [UInt8](repeating: 0x41, count: 70_000)),
        LogChunk(stream: .stdin, bytes: Array("in\n".utf8)),
    ]

    @Test("byte-by-byte and every other split gives the same frames", arguments: [1, 2, 3, 7, 8, 9, 4096, 1 << 20])
    func splits(pieceSize: Int) throws {
        #expect(try Self.demultiplex(Self.sample, pieceSize: pieceSize) == Self.expected)
    }

    @Test("nothing is returned before a frame is complete")
    func partialFrame() throws {
        var demultiplexer = LogDemultiplexer()
        let bytes = Self.frame(1, "hello")
        demultiplexer.append(bytes.dropLast())
        #expect(try demultiplexer.next() == nil)
        #expect(!demultiplexer.isAtFrameBoundary)
        demultiplexer.append(bytes.suffix(1))
        #expect(try demultiplexer.next() == LogChunk(stream: .stdout, bytes: Array("hello".utf8)))
        #expect(try demultiplexer.next() == nil)
        #expect(demultiplexer.isAtFrameBoundary)
    }

    @Test("an unknown stream type is an error")
    func invalidStreamType() {
        var demultiplexer = LogDemultiplexer()
        demultiplexer.append([3, 0, 0, 0, 0, 0, 0, 1, 0x41])
        #expect(throws: DockerClientError.invalidLogFrame(streamType: 3)) {
            try demultiplexer.next()
        }
    }

    @Test("input ending inside a header or payload is truncated")
    func truncated() throws {
        var inHeader = LogDemultiplexer()
        inHeader.append([1, 0, 0])
        #expect(try inHeader.next() == nil)
        #expect(throws: DockerClientError.truncatedLogStream(bufferedBytes: 3)) {
            try inHeader.finish()
        }
        var inPayload = LogDemultiplexer()
        inPayload.append(Self.frame(2, "abcdef").dropLast(2))
        #expect(try inPayload.next() == nil)
        #expect(throws: DockerClientError.truncatedLogStream(bufferedBytes: 4)) {
            try inPayload.finish()
        }
    }

    @Test("a frame larger than the maximum chunk size comes in pieces of the same stream")
    func oversizedFrame() throws {
        let payload = (0..<25).map { UInt8($0) }
        let chunks = try Self.demultiplex(
            Self.frame(2, payload) + Self.frame(1, "x"),
            pieceSize: 3,
            maximumChunkSize: 10
        )
        #expect(chunks.map(\.bytes.count) == [10, 10, 5, 1])
        #expect(chunks.map(\.stream) == [.stderr, .stderr, .stderr, .stdout])
        #expect(Array(chunks.prefix(3).map(\.bytes).joined()) == payload)
    }
}

@Suite("LogChunk timestamps")
struct LogTimestampTests {
    @Test("splits the engine's RFC3339Nano prefix")
    func split() throws {
        let chunk = LogChunk(stream: .stdout, bytes: Array("2026-11-24T02:45:21.923424721Z hello world\n".utf8))
        let (timestamp, message) = try #require(chunk.splitTimestamp())
        #expect(message == Array("hello world\n".utf8))
        #expect(timestamp.nanoseconds == 923_424_721)
        #expect(timestamp.description == "2026-11-24T02:45:21.923424721Z")
    }

    @Test("an empty message keeps its newline")
    func emptyMessage() throws {
        let (_, message) = try #require(LogChunk.splitTimestamp(Array("2026-11-24T02:45:21.000000001Z \n".utf8)))
        #expect(message == [10])
    }

    @Test("no timestamp prefix gives nil")
    func missing() {
        #expect(LogChunk.splitTimestamp(Array("hello world\n".utf8)) == nil)
        #expect(LogChunk.splitTimestamp(Array("2026-11-24T02:45:21Z".utf8)) == nil)
        #expect(LogChunk.splitTimestamp([]) == nil)
    }
}
