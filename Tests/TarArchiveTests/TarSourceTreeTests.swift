import Foundation
import TarArchive
import Testing

#if canImport(Glibc)
    import Glibc
#endif

private typealias Support = TarTestSupport

@Suite("TarSource.tree: a folder on disk as archive entries")
struct TarSourceTreeTests {
    @Test("a link to a host path is written as a link, and the extractor refuses it")
    func linkOut() async throws {
        try await Support.withTemporaryDirectoryAsync { directory in
            let out = directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: out.path + "/secrets",
                withDestinationPath: "/etc/shadow"
            )
            var archive: [UInt8] = []
            for try await chunk in try TarWriter().archiveChunks(try TarSource.tree(at: out, prefix: "out")) {
                archive += chunk
            }
            var extractor = try TarExtractor(
                destination: directory.appendingPathComponent("collected"),
                stripComponents: 1
            )
            #expect(throws: TarError.linkEscapes("out/secrets", target: "/etc/shadow")) {
                try extractor.feed(archive)
                try extractor.finish()
            }
        }
    }

    @Test("a tree of files, folders and an inside link comes out whole; the execute bit is kept")
    func inside() async throws {
        try await Support.withTemporaryDirectoryAsync { directory in
            let out = directory.appendingPathComponent("out")
            let long = String(repeating: "t", count: 150)
            try FileManager.default.createDirectory(
                at: out.appendingPathComponent("sub/" + long),
                withIntermediateDirectories: true
            )
            try Support.write(Array("video".utf8), to: out.appendingPathComponent("sub/output.mp4"))
            try Support.write(Array("#!/bin/sh\n".utf8), to: out.appendingPathComponent("run.sh"))
            chmod(out.appendingPathComponent("run.sh").path, 0o755)
            try FileManager.default.createSymbolicLink(
                atPath: out.path + "/latest",
                withDestinationPath: "sub/output.mp4"
            )

            let sources = try TarSource.tree(at: out, prefix: "out")
            let destination = directory.appendingPathComponent("collected")
            var extractor = try TarExtractor(destination: destination, stripComponents: 1)
            for try await chunk in try TarWriter().archiveChunks(sources) { try extractor.feed(chunk) }
            try extractor.finish()

            #expect(extractor.writtenFiles.sorted() == ["run.sh", "sub/output.mp4"])
            #expect(
                try String(contentsOf: destination.appendingPathComponent("sub/output.mp4"), encoding: .utf8) == "video"
            )
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: destination.path + "/latest")
                    == "sub/output.mp4"
            )
            var info = stat()
            #expect(stat(destination.path + "/run.sh", &info) == 0 && info.st_mode & 0o777 == 0o755)
            #expect(FileManager.default.fileExists(atPath: destination.path + "/sub/" + long))
        }
    }

    @Test("a FIFO is refused, naming the entry")
    func fifoRefused() throws {
        try Support.withTemporaryDirectory { directory in
            let out = directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            #expect(mkfifo(out.path + "/pipe", 0o644) == 0)
            #expect(throws: TarError.unsupportedType("out/pipe", typeflag: UInt8(ascii: "6"))) {
                _ = try TarSource.tree(at: out, prefix: "out")
            }
        }
    }

    @Test("a long link target survives (PAX linkpath)")
    func longLinkTarget() async throws {
        try await Support.withTemporaryDirectoryAsync { directory in
            let out = directory.appendingPathComponent("out")
            let name = String(repeating: "n", count: 120)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try Support.write(Array("x".utf8), to: out.appendingPathComponent(name))
            try FileManager.default.createSymbolicLink(atPath: out.path + "/link", withDestinationPath: name)
            let destination = directory.appendingPathComponent("collected")
            var extractor = try TarExtractor(destination: destination, stripComponents: 1)
            for try await chunk in try TarWriter().archiveChunks(try TarSource.tree(at: out, prefix: "out")) {
                try extractor.feed(chunk)
            }
            try extractor.finish()
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination.path + "/link") == name)
        }
    }
}
