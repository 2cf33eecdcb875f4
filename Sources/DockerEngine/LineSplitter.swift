/// Splits a byte stream into `\n`-terminated lines, however the bytes are chunked.
public struct LineSplitter: Sendable {
    /// Longest line kept; a longer line is returned in pieces of this size.
    public let maximumLineLength: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var scanIndex = 0

    /// Creates an empty splitter.
    public init(maximumLineLength: Int = 16 << 20) {
        precondition(maximumLineLength > 0, "maximumLineLength must be positive")
        self.maximumLineLength = maximumLineLength
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if self.readIndex > 0, self.readIndex >= self.buffer.count / 2 {
            self.buffer.removeFirst(self.readIndex)
            self.scanIndex -= self.readIndex
            self.readIndex = 0
        }
        self.buffer.append(contentsOf: bytes)
    }

    /// Returns the next line without its `\n` (and without a `\r` before it), or `nil` if none is complete yet.
    public mutating func next() -> [UInt8]? {
        while self.scanIndex < self.buffer.count {
            if self.buffer[self.scanIndex] == UInt8(ascii: "\n") {
                var end = self.scanIndex
                if end > self.readIndex, self.buffer[end - 1] == UInt8(ascii: "\r") {
                    end -= 1
                }
                let line = Array(self.buffer[self.readIndex..<end])
                self.scanIndex += 1
                self.readIndex = self.scanIndex
                return line
            }
            self.scanIndex += 1
            if self.scanIndex - self.readIndex >= self.maximumLineLength {
                let line = Array(self.buffer[self.readIndex..<self.scanIndex])
                self.readIndex = self.scanIndex
                return line
            }
        }
        return nil
    }

    /// Returns the bytes after the last `\n` (an unterminated last line), or `nil` if there are none.
    public mutating func finish() -> [UInt8]? {
        guard self.readIndex < self.buffer.count else {
            return nil
        }
        let rest = Array(self.buffer[self.readIndex...])
        self.buffer.removeAll()
        self.readIndex = 0
        self.scanIndex = 0
        return rest
    }
}
