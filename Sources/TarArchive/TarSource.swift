import Foundation

/// An entry of a streamed archive built with ``TarWriter/archiveChunks(_:chunkSize:)``.
public enum TarSource: Sendable {
    /// A directory; `path` may end in `/` or not. With `mtime` nil it gets the writer's modification time.
    case directory(path: String, mode: UInt32 = 0o755, mtime: Date? = nil)
    /// A regular file whose (small) content is given in memory.
    case bytes(path: String, contents: [UInt8], mode: UInt32 = 0o644)
    /// A regular file read from disk in chunks, never loaded whole.
    ///
    /// With `mode` nil the entry gets 0755 if the file has any execute bit, else 0644.
    /// Its size and modification time are taken when the chunk sequence is created.
    case file(path: String, url: URL, mode: UInt32? = nil)
    /// A symbolic link to `target`, stored as written (an extractor decides whether it is safe).
    case symbolicLink(path: String, target: String)
}
