import DockerEngine
import Foundation
import Hummingbird
import NIOCore

/// A job's log file: its containers' stdout and stderr, attempt after attempt.
///
/// Each stored line is `<engine timestamp> <o|e|d> <text>\n` (stdout, stderr, daemon note). The
/// timestamps make the file its own cursor: a follow resumed after a crash or restart starts after the
/// last complete container line in the file, so nothing is duplicated and nothing is lost. Readers see
/// only the text (``stream(path:follow:writer:isFinished:)`` strips the prefixes).
final class JobLogFile: @unchecked Sendable {
    // Written by one runner task at a time; never shared.
    private let handle: FileHandle

    /// The log file of job `id`.
    static func path(for id: String, in directory: String) -> String {
        "\(directory)/\(id).log"
    }

    /// Opens the file for appending, dropping a torn last line left by a crash.
    init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
        }
        handle = try FileHandle(forUpdating: url)
        let end = try handle.seekToEnd()
        if end > 0, let tail = Self.readTail(handle, size: end), tail.last != UInt8(ascii: "\n") {
            let keep =
                tail.lastIndex(of: UInt8(ascii: "\n")).map { end - UInt64(tail.count - $0 - 1) } ?? end
                - UInt64(tail.count)
            try handle.truncate(atOffset: keep)
            try handle.seek(toOffset: keep)
        }
    }

    /// Appends one container line with its engine timestamp.
    func append(_ message: [UInt8], stream: LogStreamKind, timestamp: DockerTimestamp) {
        append(marker: stream == .stderr ? "e" : "o", timestamp: timestamp.description, text: message)
    }

    /// Appends a note from the daemon (attempt headers); never used as a cursor.
    func note(_ text: String) {
        append(marker: "d", timestamp: DockerTimestamp(Date()).description, text: Array(text.utf8))
    }

    private func append(marker: String, timestamp: String, text: [UInt8]) {
        var line = Array("\(timestamp) \(marker) ".utf8)
        line += text
        if line.last != UInt8(ascii: "\n") { line.append(UInt8(ascii: "\n")) }
        try? handle.write(contentsOf: line)  // one write per line: a kill leaves whole lines or a torn last one
    }

    func close() {
        try? handle.close()
    }

    // MARK: Reading

    /// The timestamp of the last complete container line (not daemon notes), or nil.
    static func lastContainerTimestamp(path: String) -> DockerTimestamp? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0, let tail = readTail(handle, size: size) else { return nil }
        var lines = tail.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        if tail.last != UInt8(ascii: "\n") { lines = lines.dropLast() }
        for line in lines.reversed() {
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[1].first != UInt8(ascii: "d") else { continue }
            if let timestamp = DockerTimestamp(rfc3339Bytes: parts[0]) { return timestamp }
        }
        return nil
    }

    private static func readTail(_ handle: FileHandle, size: UInt64) -> [UInt8]? {
        let length = min(size, 256 * 1024)
        guard (try? handle.seek(toOffset: size - length)) != nil, let data = try? handle.read(upToCount: Int(length))
        else { return nil }
        return Array(data)
    }

    /// The text of a stored line: everything after the second space.
    static func text(of line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var spaces = 0
        for index in line.indices where line[index] == UInt8(ascii: " ") {
            spaces += 1
            if spaces == 2 { return line[line.index(after: index)...] }
        }
        return line
    }

    /// Writes the file's text to `writer`; with `follow`, keeps writing what is appended until
    /// `isFinished` says the job ended and everything has been sent.
    static func stream(
        path: String,
        follow: Bool,
        writer: inout any ResponseBodyWriter,
        isFinished: @Sendable () async throws -> Bool
    ) async throws {
        var offset: UInt64 = 0
        var pending: [UInt8] = []
        while true {
            // Read the "finished" flag before the file, so lines written just before the end are sent.
            let finished = follow ? try await isFinished() : true
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                try handle.seek(toOffset: offset)
                while let data = try handle.read(upToCount: 64 * 1024), !data.isEmpty {
                    offset += UInt64(data.count)
                    pending += data
                    guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                    var out: [UInt8] = []
                    for line in pending[...lastNewline].split(
                        separator: UInt8(ascii: "\n"),
                        omittingEmptySubsequences: false
                    )
                    .dropLast() {
                        out += text(of: line)
                        out.append(UInt8(ascii: "\n"))
                    }
                    pending.removeSubrange(...lastNewline)
                    try await writer.write(ByteBuffer(bytes: out))
                }
            }
            if finished { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
