import Foundation
import Hummingbird
import NIOCore

/// Per-job log files: the container's stdout and stderr, demultiplexed, attempt after attempt.
enum JobLogs {
    /// The log file of job `id`.
    static func path(for id: String, in directory: String) -> String {
        "\(directory)/\(id).log"
    }

    /// Writes the file to `writer`; with `follow`, keeps writing what is appended until `isFinished`
    /// says the job ended and everything has been sent.
    static func stream(
        path: String,
        follow: Bool,
        writer: inout any ResponseBodyWriter,
        isFinished: @Sendable () async -> Bool
    ) async throws {
        var offset: UInt64 = 0
        while true {
            // Read the "finished" flag before the file, so lines written just before the end are sent.
            let finished = !follow ? true : await isFinished()
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                try handle.seek(toOffset: offset)
                while let data = try handle.read(upToCount: 64 * 1024), !data.isEmpty {
                    offset += UInt64(data.count)
                    try await writer.write(ByteBuffer(bytes: data))
                }
            }
            if finished { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
