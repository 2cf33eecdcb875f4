/// A piece of container output from one stream.
///
/// From a multiplexed log stream, one chunk is one engine frame: usually one line (with its `\n`), and with
/// `timestamps: true` it starts with the engine's timestamp (see ``splitTimestamp()``).
public struct LogChunk: Sendable, Equatable {
    /// Which stream the bytes were written to.
    public var stream: LogStreamKind
    /// The bytes as written by the container.
    public var bytes: [UInt8]

    /// Creates a chunk.
    public init(stream: LogStreamKind, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }

    /// Splits the engine's leading `RFC3339Nano ` timestamp off a chunk read with `timestamps: true`.
    ///
    /// - Returns: The timestamp and the remaining bytes, or `nil` if the chunk does not start with a timestamp and a
    ///   space.
    public func splitTimestamp() -> (timestamp: DockerTimestamp, message: [UInt8])? {
        Self.splitTimestamp(self.bytes)
    }

    /// Splits a leading `RFC3339Nano ` timestamp off `line`; see ``splitTimestamp()``.
    public static func splitTimestamp(_ line: some Collection<UInt8>) -> (timestamp: DockerTimestamp, message: [UInt8])?
    {
        // The longest form is 2006-01-02T15:04:05.999999999+07:00 (35 bytes).
        guard let space = line.prefix(40).firstIndex(of: UInt8(ascii: " ")),
            let timestamp = DockerTimestamp(rfc3339Bytes: line[line.startIndex..<space])
        else {
            return nil
        }
        return (timestamp, Array(line[line.index(after: space)...]))
    }
}

/// The stream a ``LogChunk`` belongs to; the raw values are the engine's frame header stream types.
public enum LogStreamKind: UInt8, Sendable, Equatable, Hashable {
    /// Standard input (only seen when attached with stdin echo).
    case stdin = 0
    /// Standard output.
    case stdout = 1
    /// Standard error.
    case stderr = 2
}
