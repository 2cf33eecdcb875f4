import Foundation

/// The byte chunks of a tar stream whose files are read from disk as it is iterated.
///
/// Made by ``TarWriter/archiveChunks(_:chunkSize:)`` or ``TarWriter/fileEntryChunks(path:fileURL:mode:chunkSize:)``.
/// Each iteration opens the files afresh, reads at most `chunkSize` bytes at a time with `FileHandle`
/// (blocking reads), and fails with ``TarError/sourceChanged(_:reason:)`` if a file no longer has the size it
/// had when the sequence was made, so the stream always matches ``byteCount``.
public struct TarChunkSequence: AsyncSequence, Sendable {
    /// A chunk of the archive: a header, a piece of file content, padding, or the end marker.
    public typealias Element = [UInt8]
    /// Streams fail only with ``TarError``.
    public typealias Failure = TarError

    /// One prepared entry.
    enum Item: Sendable {
        /// Bytes emitted as they are (headers, in-memory content and its padding).
        case inline([UInt8])
        /// A header, then `size` bytes of the file at `url`, then padding.
        case file(header: [UInt8], url: URL, size: UInt64)
    }

    let items: [Item]
    let chunkSize: Int
    /// The end-of-archive marker, or nothing for a single entry's chunks.
    let trailer: [UInt8]

    /// The exact number of bytes the sequence yields.
    public var byteCount: UInt64 {
        items.reduce(UInt64(trailer.count)) { total, item in
            switch item {
            case .inline(let bytes):
                return total + UInt64(bytes.count)
            case .file(let header, _, let size):
                return total + UInt64(header.count) + size + UInt64(TarWriter.paddingCount(forSize: size))
            }
        }
    }

    init(items: [Item], chunkSize: Int, trailer: [UInt8]) {
        self.items = items
        self.chunkSize = chunkSize
        self.trailer = trailer
    }

    /// Starts a fresh pass over the entries; files are opened as they are reached.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self)
    }

    /// Reads the next chunk on each call; see ``TarChunkSequence``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let sequence: TarChunkSequence
        private var index = 0
        private var open: OpenFile?
        private var trailerSent = false

        /// The file currently being read.
        private struct OpenFile {
            let handle: FileHandle
            let url: URL
            let size: UInt64
            var remaining: UInt64
        }

        init(sequence: TarChunkSequence) {
            self.sequence = sequence
        }

        /// The next chunk, or nil after the last one. Reads from disk synchronously.
        public mutating func next() async throws(TarError) -> [UInt8]? {
            try nextChunk()
        }

        /// The synchronous body of ``next()``.
        mutating func nextChunk() throws(TarError) -> [UInt8]? {
            if var file = open {
                let count = Int(Swift.min(UInt64(sequence.chunkSize), file.remaining))
                var chunk = try Self.read(file.handle, count: count, url: file.url)
                guard chunk.count == count else {
                    close()
                    throw .sourceChanged(file.url.path, reason: "file is shorter than its \(file.size) bytes")
                }
                file.remaining -= UInt64(count)
                if file.remaining == 0 {
                    let extra = try Self.read(file.handle, count: 1, url: file.url)
                    close()
                    guard extra.isEmpty else {
                        throw .sourceChanged(file.url.path, reason: "file grew beyond its \(file.size) bytes")
                    }
                    chunk += [UInt8](repeating: 0, count: TarWriter.paddingCount(forSize: file.size))
                } else {
                    open = file
                }
                return chunk
            }
            guard index < sequence.items.count else {
                if trailerSent || sequence.trailer.isEmpty { return nil }
                trailerSent = true
                return sequence.trailer
            }
            let item = sequence.items[index]
            index += 1
            switch item {
            case .inline(let bytes):
                return bytes
            case .file(let header, let url, let size):
                let handle: FileHandle
                do {
                    handle = try FileHandle(forReadingFrom: url)
                } catch {
                    throw .fileSystem(url.path, reason: "cannot open: \(error.localizedDescription)")
                }
                open = OpenFile(handle: handle, url: url, size: size, remaining: size)
                if size == 0 {
                    // Still check that the file did not grow.
                    let extra = try Self.read(handle, count: 1, url: url)
                    close()
                    guard extra.isEmpty else { throw .sourceChanged(url.path, reason: "file grew beyond 0 bytes") }
                }
                return header
            }
        }

        private mutating func close() {
            try? open?.handle.close()
            open = nil
        }

        /// Reads up to `count` bytes, looping over short reads; fewer only at end of file.
        private static func read(_ handle: FileHandle, count: Int, url: URL) throws(TarError) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            while bytes.count < count {
                let data: Data?
                do {
                    data = try handle.read(upToCount: count - bytes.count)
                } catch {
                    throw .fileSystem(url.path, reason: "read failed: \(error.localizedDescription)")
                }
                guard let data, !data.isEmpty else { break }
                bytes += data
            }
            return bytes
        }
    }
}
