import Foundation
import TarArchive
import Testing

private typealias Support = TarTestSupport

@Suite("TarExtractor: round trips and accepted entries")
struct TarExtractorTests {
    private let longName =
        "deep/" + String(repeating: "d", count: 60) + "/" + String(repeating: "f", count: 120) + ".txt"

    @Test("writer → extractor round trip: small files, an empty file, nested dirs, a >100-byte name")
    func roundTrip() throws {
        try Support.withTemporaryDirectory { directory in
            let archive = TarWriter.archive([
                .directory(path: "a"),
                .file(path: "a/hello.txt", contents: Array("hello\n".utf8)),
                .file(path: "a/empty", contents: []),
                .directory(path: "a/b/c"),
                .file(path: "a/b/c/deep.bin", contents: Support.pseudoRandomBytes(count: 1537, seed: 7)),
                .file(path: "top.sh", contents: Array("#!/bin/sh\n".utf8), mode: 0o755),
                .file(path: longName, contents: Array("long".utf8)),
            ])
            // Fed one byte at a time, every header and data boundary falls between feeds.
            let extractor = try Support.extract(archive, into: directory, chunkSizes: [1])
            #expect(extractor.writtenFiles == ["a/hello.txt", "a/empty", "a/b/c/deep.bin", "top.sh", longName])
            #expect(extractor.entryCount == 7)
            #expect(try Support.bytes(at: directory.appendingPathComponent("a/hello.txt")) == Array("hello\n".utf8))
            #expect(try Support.bytes(at: directory.appendingPathComponent("a/empty")).isEmpty)
            #expect(
                try Support.bytes(at: directory.appendingPathComponent("a/b/c/deep.bin"))
                    == Support.pseudoRandomBytes(count: 1537, seed: 7)
            )
            #expect(try Support.bytes(at: directory.appendingPathComponent(longName)) == Array("long".utf8))
            #expect(try Support.permissions(at: directory.appendingPathComponent("top.sh")) == 0o755)
            #expect(try Support.permissions(at: directory.appendingPathComponent("a/hello.txt")) == 0o644)
            #expect(try Support.permissions(at: directory.appendingPathComponent("a/b")) == 0o755)
            #expect(Support.fileType(at: directory.appendingPathComponent("a/b/c")) == .typeDirectory)
        }
    }

    @Test("a 5 MB file streamed from disk and fed in odd-sized chunks (7, 65537, …) comes back identical")
    func largeFileOddChunks() async throws {
        try await Support.withTemporaryDirectoryAsync { directory in
            let source = directory.appendingPathComponent("source/big.bin")
            let contents = Support.pseudoRandomBytes(count: 5_000_003, seed: 42)
            try Support.write(contents, to: source)
            let destination = directory.appendingPathComponent("out")
            let sequence = try TarWriter().archiveChunks(
                [.directory(path: "data"), .file(path: "data/big.bin", url: source)],
                chunkSize: 100_000
            )
            var extractor = try TarExtractor(destination: destination)
            // Re-cut the stream so feeds never line up with blocks: 7 bytes, 65537 bytes, 7, 65537, …
            let pattern = [7, 65537]
            var pending: [UInt8] = []
            var turn = 0
            var fed = 0
            for try await chunk in sequence {
                pending += chunk
                while pending.count >= pattern[turn % 2] {
                    let size = pattern[turn % 2]
                    try extractor.feed(pending[..<size])
                    pending.removeFirst(size)
                    fed += size
                    turn += 1
                }
            }
            try extractor.feed(pending)
            fed += pending.count
            try extractor.finish()
            #expect(UInt64(fed) == sequence.byteCount)
            #expect(turn > 100)
            #expect(extractor.writtenFiles == ["data/big.bin"])
            #expect(extractor.totalBytes == 5_000_003)
            #expect(try Support.bytes(at: destination.appendingPathComponent("data/big.bin")) == contents)
        }
    }

    @Test("modes are normalised to 0644/0755: no setuid, setgid, sticky, or read-only files")
    func modesNormalised() throws {
        try Support.withTemporaryDirectory { directory in
            let archive = Support.archive(
                Support.entry(name: "suid", contents: [1], mode: 0o4755),
                Support.entry(name: "sgid", contents: [1], mode: 0o2711),
                Support.entry(name: "sticky", contents: [1], mode: 0o1644),
                Support.entry(name: "readonly", contents: [1], mode: 0o400),
                Support.entry(name: "private", typeflag: "5", mode: 0o700)
            )
            try Support.extract(archive, into: directory)
            #expect(try Support.permissions(at: directory.appendingPathComponent("suid")) == 0o755)
            #expect(try Support.permissions(at: directory.appendingPathComponent("sgid")) == 0o755)
            #expect(try Support.permissions(at: directory.appendingPathComponent("sticky")) == 0o644)
            #expect(try Support.permissions(at: directory.appendingPathComponent("readonly")) == 0o644)
            #expect(try Support.permissions(at: directory.appendingPathComponent("private")) == 0o755)
        }
    }

    @Test("symbolic links that stay inside and hard links to extracted files are created")
    func linksInside() throws {
        try Support.withTemporaryDirectory { directory in
            let archive = Support.archive(
                Support.entry(name: "lib/libx.so.1", contents: Array("elf".utf8)),
                Support.entry(name: "lib/libx.so", typeflag: "2", linkname: "libx.so.1"),
                Support.entry(name: "bin/up", typeflag: "2", linkname: "../lib/./libx.so.1"),
                Support.entry(name: "here", typeflag: "2", linkname: "."),
                Support.entry(name: "bin/hard", typeflag: "1", linkname: "lib/libx.so.1")
            )
            let extractor = try Support.extract(archive, into: directory)
            let fileManager = FileManager.default
            #expect(
                try fileManager.destinationOfSymbolicLink(atPath: directory.appendingPathComponent("lib/libx.so").path)
                    == "libx.so.1"
            )
            #expect(
                try fileManager.destinationOfSymbolicLink(atPath: directory.appendingPathComponent("bin/up").path)
                    == "../lib/libx.so.1"
            )
            #expect(try Support.bytes(at: directory.appendingPathComponent("bin/up")) == Array("elf".utf8))
            #expect(Support.fileType(at: directory.appendingPathComponent("bin/hard")) == .typeRegular)
            #expect(try Support.bytes(at: directory.appendingPathComponent("bin/hard")) == Array("elf".utf8))
            #expect(extractor.writtenFiles == ["lib/libx.so.1", "bin/hard"])
        }
    }

    @Test("stripComponents drops the leading directory, as for Docker's GET archive of /cosmos/out")
    func stripComponents() throws {
        try Support.withTemporaryDirectory { directory in
            let archive = Support.archive(
                Support.entry(name: "out/", typeflag: "5"),
                Support.entry(name: "out/result.json", contents: Array("{}".utf8)),
                Support.entry(name: "out/logs/", typeflag: "5"),
                Support.entry(name: "out/logs/run.log", contents: Array("ok".utf8)),
                Support.entry(name: "out/latest", typeflag: "2", linkname: "logs/run.log"),
                Support.entry(name: "out/copy", typeflag: "1", linkname: "out/result.json")
            )
            let extractor = try Support.extract(archive, into: directory, stripComponents: 1)
            #expect(extractor.writtenFiles == ["result.json", "logs/run.log", "copy"])
            #expect(try Support.bytes(at: directory.appendingPathComponent("result.json")) == Array("{}".utf8))
            #expect(try Support.bytes(at: directory.appendingPathComponent("logs/run.log")) == Array("ok".utf8))
            #expect(try Support.bytes(at: directory.appendingPathComponent("latest")) == Array("ok".utf8))
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out").path))
        }
    }

    @Test("a symbolic link that is fine unstripped but escapes after stripping is refused")
    func stripComponentsLinkEscape() throws {
        try Support.withTemporaryDirectory { directory in
            let archive = Support.archive(Support.entry(name: "out/a", typeflag: "2", linkname: "../b"))
            #expect(Support.extractionError(archive, into: directory) == nil)
            let stripped = directory.appendingPathComponent("stripped")
            #expect(
                Support.extractionError(archive, into: stripped, stripComponents: 1)
                    == .linkEscapes("out/a", target: "../b")
            )
        }
    }

    @Test("GNU long names (L, K), PAX path/linkpath/size records, and a PAX global header are understood")
    func extendedHeaders() throws {
        try Support.withTemporaryDirectory { directory in
            let gnuName = "g/" + String(repeating: "L", count: 150)
            let paxName = "p/" + String(repeating: "P", count: 150)
            let linkTarget = String(repeating: "L", count: 150)
            let archive = Support.archive(
                Support.paxEntry([("comment", "global")], typeflag: "g"),
                Support.entry(name: "././@LongLink", typeflag: "L", contents: Array(gnuName.utf8) + [0]),
                Support.entry(name: "truncated-gnu", contents: Array("gnu".utf8)),
                Support.paxEntry([("path", paxName), ("mtime", "1.5"), ("size", "3")]),
                // The header's own size field says 0; the PAX size record (3) wins.
                Support.header(name: "truncated-pax", size: 0) + Array("pax".utf8) + Support.zeroPadding(3),
                Support.entry(name: "././@LongLink", typeflag: "K", contents: Array(linkTarget.utf8) + [0]),
                Support.entry(name: "g/link", typeflag: "2", linkname: "short")
            )
            let extractor = try Support.extract(archive, into: directory, chunkSizes: [100, 3, 511])
            #expect(extractor.writtenFiles == [gnuName, paxName])
            #expect(try Support.bytes(at: directory.appendingPathComponent(gnuName)) == Array("gnu".utf8))
            #expect(try Support.bytes(at: directory.appendingPathComponent(paxName)) == Array("pax".utf8))
            #expect(
                try FileManager.default.destinationOfSymbolicLink(
                    atPath: directory.appendingPathComponent("g/link").path
                )
                    == linkTarget
            )
        }
    }

    @Test("the ustar prefix field is joined to the name")
    func ustarPrefix() throws {
        try Support.withTemporaryDirectory { directory in
            let prefix = String(repeating: "p", count: 120) + "/q"
            let archive =
                Support.header(name: "file.txt", size: 2, prefix: prefix) + Array("hi".utf8)
                + Support.zeroPadding(2) + [UInt8](repeating: 0, count: 1024)
            let extractor = try Support.extract(archive, into: directory)
            #expect(extractor.writtenFiles == [prefix + "/file.txt"])
        }
    }

    @Test("a later entry replaces an earlier file or symbolic link at the same path without writing through it")
    func duplicatesReplace() throws {
        try Support.withTemporaryDirectory { directory in
            let outside = directory.appendingPathComponent("outside.txt")
            try Support.write(Array("keep".utf8), to: outside)
            let destination = directory.appendingPathComponent("dest")
            let archive = Support.archive(
                Support.entry(name: "f", contents: Array("one".utf8)),
                Support.entry(name: "f", contents: Array("two".utf8)),
                Support.entry(name: "sub/target", contents: []),
                Support.entry(name: "sub/l", typeflag: "2", linkname: "target"),
                Support.entry(name: "sub/l", contents: Array("replaced".utf8))
            )
            let extractor = try Support.extract(archive, into: destination)
            #expect(try Support.bytes(at: destination.appendingPathComponent("f")) == Array("two".utf8))
            #expect(Support.fileType(at: destination.appendingPathComponent("sub/l")) == .typeRegular)
            #expect(try Support.bytes(at: destination.appendingPathComponent("sub/target")).isEmpty)
            #expect(extractor.writtenFiles == ["f", "sub/target", "sub/l"])
            #expect(try Support.bytes(at: outside) == Array("keep".utf8))
        }
    }

    @Test("zeros after the end-of-archive marker are ignored; a single final zero block is accepted")
    func trailingZeros() throws {
        try Support.withTemporaryDirectory { directory in
            let body = Support.entry(name: "a", contents: [1])
            #expect(Support.extractionError(body + [UInt8](repeating: 0, count: 10240), into: directory) == nil)
            #expect(Support.extractionError(body + [UInt8](repeating: 0, count: 512), into: directory) == nil)
        }
    }

    @Test("a base-256 size field is read")
    func base256Size() throws {
        try Support.withTemporaryDirectory { directory in
            var block = Support.header(name: "b", size: 0)
            for index in 124..<136 { block[index] = 0 }
            block[124] = 0x80
            block[135] = 5
            for index in 148..<156 { block[index] = UInt8(ascii: " ") }
            let sum = String(block.reduce(0) { $0 + Int($1) }, radix: 8)
            let checksum = Array((String(repeating: "0", count: 6 - sum.count) + sum).utf8) + [0]
            block.replaceSubrange(148..<155, with: checksum)
            let archive = block + [1, 2, 3, 4, 5] + Support.zeroPadding(5) + [UInt8](repeating: 0, count: 1024)
            try Support.extract(archive, into: directory)
            #expect(try Support.bytes(at: directory.appendingPathComponent("b")) == [1, 2, 3, 4, 5])
        }
    }
}
