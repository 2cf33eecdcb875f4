/// Splits the engine's multiplexed stdout/stderr byte stream into ``LogChunk``s.
///
/// Without a TTY the engine frames output as an 8-byte header (stream type `0`/`1`/`2`, three zero bytes, big-endian
/// `UInt32` payload length) followed by the payload. Frames may be split across, or packed into, transport chunks in
/// any way: feed bytes with ``append(_:)`` as they arrive and drain complete frames with ``next()``.
///
/// A frame is returned whole, except that payloads longer than ``maximumChunkSize`` are returned in consecutive pieces
/// of the same stream so a corrupt length cannot make the buffer grow without bound.
public struct LogDemultiplexer: Sendable {
    /// Largest ``LogChunk/bytes`` returned; longer frames are returned in pieces.
    public let maximumChunkSize: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The stream and remaining payload length of the frame being read, once its header was consumed.
    private var current: (stream: LogStreamKind, remaining: Int)?

    /// Creates an empty demultiplexer.
    public init(maximumChunkSize: Int = 1 << 20) {
        precondition(maximumChunkSize > 0, "maximumChunkSize must be positive")
        self.maximumChunkSize = maximumChunkSize
    }

    /// Bytes received but not yet returned, including a partial header.
    public var bufferedByteCount: Int {
        self.buffer.count - self.readIndex
    }

    /// Whether the input so far ended exactly at a frame boundary.
    public var isAtFrameBoundary: Bool {
        self.current == nil && self.bufferedByteCount == 0
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if self.readIndex > 0, self.readIndex >= self.buffer.count / 2 {
            self.buffer.removeFirst(self.readIndex)
            self.readIndex = 0
        }
        self.buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete frame (or piece of an oversized frame), or `nil` if more bytes are needed.
    ///
    /// Zero-length frames are skipped.
    /// - Throws: ``DockerClientError/invalidLogFrame(streamType:)`` for a header whose stream type is not 0, 1 or 2.
    public mutating func next() throws(DockerClientError) -> LogChunk? {
        while true {
            if case let (stream, remaining)? = self.current {
                if remaining == 0 {
                    self.current = nil
                    continue
                }
                let available = self.bufferedByteCount
                let wanted = min(remaining, self.maximumChunkSize)
                guard available >= wanted else {
                    return nil
                }
                let bytes = Array(self.buffer[self.readIndex..<(self.readIndex + wanted)])
                self.readIndex += wanted
                self.current = remaining == wanted ? nil : (stream, remaining - wanted)
                return LogChunk(stream: stream, bytes: bytes)
            }
            guard self.bufferedByteCount >= 8 else {
                return nil
            }
            let header = self.buffer[self.readIndex..<(self.readIndex + 8)]
            guard let stream = LogStreamKind(rawValue: header[header.startIndex]) else {
                throw .invalidLogFrame(streamType: header[header.startIndex])
            }
            var length = 0
            for byte in header.dropFirst(4) {
                length = length << 8 | Int(byte)
            }
            self.readIndex += 8
            self.current = (stream, length)
        }
    }

    /// Checks that the input ended at a frame boundary; call after the last ``next()`` returned `nil` at end of input.
    ///
    /// - Throws: ``DockerClientError/truncatedLogStream(bufferedBytes:)`` if a header or payload is incomplete.
    public func finish() throws(DockerClientError) {
        guard self.isAtFrameBoundary else {
            throw .truncatedLogStream(bufferedBytes: self.bufferedByteCount)
        }
    }
}
