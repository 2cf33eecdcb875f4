import DockerEngine
import Foundation
import TarArchive
import Testing

/// Integration tests of copying files into and out of containers.
@Suite("Engine: archives", .timeLimit(.minutes(2)))
struct ArchiveTests {
    typealias Support = DockerTestSupport

    @Test("put an in-memory archive, then read it back by running cat and by get archive")
    func putThenGet() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("archive")
            let greeting = Array("hello from the archive\n".utf8)
            let config = Support.shell("cat /dockerengine-test/greeting.txt")
            try await Support.withContainer(client, name: name, config) { id in
                let tar = TinyTar.archive([
                    .directory("dockerengine-test"), .file("dockerengine-test/greeting.txt", greeting),
                ])
                try await client.putArchive(id: id, path: "/", body: .bytes(tar))

                // Read back without exec: the container's own command prints the file.
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                #expect(try await withDeadline(.seconds(20), "cat") { try await wait.result() }.statusCode == 0)
                let logs = try await Support.collectLogs(try await client.logs(id: id))
                #expect(logs.stdout == String(decoding: greeting, as: UTF8.self))
                #expect(logs.stderr == "")

                // Read back through the archive endpoint (works on the stopped container).
                let archive = try await client.getArchive(id: id, path: "/dockerengine-test/greeting.txt")
                let stat = try #require(archive.stat)
                #expect(stat.name == "greeting.txt")
                #expect(stat.size == Int64(greeting.count))
                #expect(!stat.isDirectory)
                var bytes: [UInt8] = []
                for try await chunk in archive {
                    bytes += chunk
                }
                #expect(try TinyTar.files(in: bytes) == ["greeting.txt": greeting])

                let directory = try await client.getArchive(id: id, path: "/dockerengine-test")
                #expect(directory.stat?.isDirectory == true)
                let files = try TinyTar.files(in: try await directory.collect(upTo: 1 << 20))
                #expect(files == ["dockerengine-test/greeting.txt": greeting])

                let stat2 = try await client.statPath(id: id, path: "/dockerengine-test/greeting.txt")
                #expect(stat2 == stat)
            }
        }
    }

    @Test("streamed uploads with known and unknown length", arguments: [true, false])
    func streamedPut(knownLength: Bool) async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("archive-stream")
            // 3 MiB, so the upload really is several chunks.
            let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
            let tar = TinyTar.archive([.file("big.bin", payload)])
            let chunks = stride(from: 0, to: tar.count, by: 100_000).map {
                Array(tar[$0..<min($0 + 100_000, tar.count)])
            }
            let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
            for chunk in chunks {
                continuation.yield(chunk)
            }
            continuation.finish()

            try await Support.withContainer(client, name: name, Support.shell("true")) { id in
                let body = ArchiveBody.stream(stream, length: knownLength ? tar.count : nil)
                try await client.putArchive(id: id, path: "/tmp", body: body)
                let archive = try await client.getArchive(id: id, path: "/tmp/big.bin")
                #expect(archive.stat?.size == Int64(payload.count))
                let files = try TinyTar.files(in: try await archive.collect(upTo: 8 << 20))
                #expect(files["big.bin"] == payload)
            }
        }
    }

    @Test("a TarArchive chunk sequence streams into a container")
    func tarArchiveChunks() async throws {
        try await Support.withClient { client in
            let hostFile = FileManager.default.temporaryDirectory
                .appendingPathComponent("dockerengine-test-\(UUID().uuidString).txt")
            try Data("streamed from disk\n".utf8).write(to: hostFile)
            defer { try? FileManager.default.removeItem(at: hostFile) }
            let chunks = try TarWriter().archiveChunks([
                .directory(path: "input"), .file(path: "input/data.txt", url: hostFile),
            ])

            let name = Support.uniqueName("archive-tar")
            try await Support.withContainer(client, name: name, Support.shell("cat /tmp/input/data.txt")) { id in
                try await client.putArchive(id: id, path: "/tmp", body: .stream(chunks, length: Int(chunks.byteCount)))
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                #expect(try await withDeadline(.seconds(20), "cat") { try await wait.result() }.statusCode == 0)
                #expect(try await Support.collectLogs(try await client.logs(id: id)).stdout == "streamed from disk\n")
            }
        }
    }

    @Test("missing paths are typed not-found")
    func missingPath() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("archive-missing")
            try await Support.withContainer(client, name: name, Support.shell("true")) { id in
                let getError = await #expect(throws: DockerError.self) {
                    _ = try await client.getArchive(id: id, path: "/no/such/file")
                }
                #expect(getError?.isNotFound == true)
                let putError = await #expect(throws: DockerError.self) {
                    try await client.putArchive(
                        id: id,
                        path: "/no/such/dir",
                        body: .bytes(TinyTar.archive([.file("x", [1])]))
                    )
                }
                #expect(putError?.isNotFound == true)
                let statError = await #expect(throws: DockerError.self) {
                    _ = try await client.statPath(id: id, path: "/no/such/file")
                }
                #expect(statError?.isNotFound == true)
            }
        }
    }
}
