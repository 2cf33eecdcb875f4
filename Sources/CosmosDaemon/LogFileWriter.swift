import Foundation

/// Appends bytes to a job's log file, creating it (and its directory) if needed.
final class LogFileWriter: @unchecked Sendable {
    // Used by one runner task at a time; FileHandle writes are not shared.
    private let handle: FileHandle

    init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// Appends `bytes`.
    func append(_ bytes: [UInt8]) {
        try? handle.write(contentsOf: bytes)
    }

    /// Flushes and closes the file.
    func close() {
        try? handle.synchronize()
        try? handle.close()
    }
}
