import Foundation
import TarArchive
import Testing

private typealias Support = TarTestSupport

/// Cross-checks against the system `tar` binary (GNU tar on Linux).
@Suite(
    "Cross-check with the system tar",
    .enabled(if: TarTestSupport.systemTar != nil, "needs /usr/bin/tar or /bin/tar")
)
struct SystemTarTests {
    private let longComponent = String(repeating: "c", count: 120) + ".txt"

    @Test("an archive from TarWriter lists correctly with `tar -tvf` and extracts with `tar -xf`")
    func writerArchiveReadBySystemTar() async throws {
        try await Support.withTemporaryDirectoryAsync { directory in
            let source = directory.appendingPathComponent("big.bin")
            let big = Support.pseudoRandomBytes(count: 70_001, seed: 3)
            try Support.write(big, to: source)
            let longPath = "nested/deeper/" + longComponent
            let longDirectory = String(repeating: "D", count: 100)
            let sequence = try TarWriter(modificationTime: Date(timeIntervalSince1970: 1_600_000_000)).archiveChunks(
                [
                    .directory(path: "nested"),
                    .directory(path: "nested/deeper"),
                    .bytes(path: "nested/hello.txt", contents: Array("hello\n".utf8)),
                    .bytes(path: "nested/empty", contents: []),
                    .bytes(path: longPath, contents: Array("long".utf8)),
                    .bytes(path: "run.sh", contents: Array("#!/bin/sh\n".utf8), mode: 0o755),
                    .directory(path: longDirectory),
                    .file(path: "big.bin", url: source),
                ],
                chunkSize: 4096
            )
            var archive: [UInt8] = []
            for try await chunk in sequence { archive += chunk }
            let archiveURL = directory.appendingPathComponent("writer.tar")
            try Support.write(archive, to: archiveURL)

            let listing = try Support.runTar(["-tvf", archiveURL.path])
            #expect(listing.status == 0, "tar -tvf failed: \(listing.output)")
            let lines = listing.output.split(separator: "\n").map(String.init)
            let expected: [(name: String, permissions: String, size: Int)] = [
                ("nested/", "drwxr-xr-x", 0),
                ("nested/deeper/", "drwxr-xr-x", 0),
                ("nested/hello.txt", "-rw-r--r--", 6),
                ("nested/empty", "-rw-r--r--", 0),
                (longPath, "-rw-r--r--", 4),
                ("run.sh", "-rwxr-xr-x", 10),
                (longDirectory + "/", "drwxr-xr-x", 0),
                ("big.bin", "-rw-r--r--", 70_001),
            ]
            #expect(lines.count == expected.count, "listing: \(listing.output)")
            for (line, entry) in zip(lines, expected) {
                #expect(line.hasPrefix(entry.permissions), "\(line)")
                #expect(line.hasSuffix(" " + entry.name), "\(line)")
                #expect(line.split(separator: " ").contains(Substring(String(entry.size))), "\(line)")
            }

            let out = directory.appendingPathComponent("system-extracted")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let extraction = try Support.runTar(["-xf", archiveURL.path, "-C", out.path])
            #expect(extraction.status == 0, "tar -xf failed: \(extraction.output)")
            #expect(try Support.bytes(at: out.appendingPathComponent("nested/hello.txt")) == Array("hello\n".utf8))
            #expect(try Support.bytes(at: out.appendingPathComponent(longPath)) == Array("long".utf8))
            #expect(try Support.bytes(at: out.appendingPathComponent("big.bin")) == big)
            #expect(try Support.permissions(at: out.appendingPathComponent("run.sh")) & 0o111 != 0)
        }
    }

    @Test("an archive from the system tar extracts correctly", arguments: ["gnu", "pax", "ustar"])
    func systemArchiveReadByExtractor(format: String) throws {
        try Support.withTemporaryDirectory { directory in
            let tree = directory.appendingPathComponent("tree")
            // 40 + 40 + 60 bytes: over 100, but splittable into ustar's prefix and name fields.
            let splittable =
                String(repeating: "a", count: 40) + "/" + String(repeating: "b", count: 40) + "/"
                + String(repeating: "e", count: 60)
            var files: [String: [UInt8]] = [
                "top.txt": Array("top".utf8),
                "nested/deeper/deepest/file.bin": Support.pseudoRandomBytes(count: 3000, seed: 9),
                "nested/empty": [],
                splittable: Array("split".utf8),
            ]
            if format != "ustar" {
                // A single 124-byte component cannot be stored in ustar at all.
                files["nested/" + longComponent] = Array("long".utf8)
            }
            for (path, contents) in files {
                try Support.write(contents, to: tree.appendingPathComponent(path))
            }
            try FileManager.default.createSymbolicLink(
                atPath: tree.appendingPathComponent("nested/link").path,
                withDestinationPath: "deeper/deepest/file.bin"
            )
            try FileManager.default.createDirectory(
                at: tree.appendingPathComponent("nested/empty-dir"),
                withIntermediateDirectories: true
            )

            let archiveURL = directory.appendingPathComponent("system.tar")
            let formatFlag =
                Support.systemTarIsGNU ? "--format=\(format)" : "--format=\(format == "gnu" ? "gnutar" : format)"
            let creation = try Support.runTar(["-cf", archiveURL.path, formatFlag, "-C", directory.path, "tree"])
            #expect(creation.status == 0, "tar -cf failed: \(creation.output)")

            let out = directory.appendingPathComponent("extracted")
            let extractor = try Support.extract(
                try Support.bytes(at: archiveURL),
                into: out,
                chunkSizes: [1000, 7, 65537],
                stripComponents: 1
            )
            #expect(Set(extractor.writtenFiles) == Set(files.keys))
            #expect(extractor.writtenFiles.count == files.count)
            for (path, contents) in files {
                #expect(try Support.bytes(at: out.appendingPathComponent(path)) == contents, "\(path)")
            }
            #expect(
                try FileManager.default.destinationOfSymbolicLink(
                    atPath: out.appendingPathComponent("nested/link").path
                )
                    == "deeper/deepest/file.bin"
            )
            #expect(Support.fileType(at: out.appendingPathComponent("nested/empty-dir")) == .typeDirectory)
        }
    }

    @Test("`tar -cf - -C dir .` output (entries named ./…) extracts without stripping")
    func dotPrefixedNames() throws {
        try Support.withTemporaryDirectory { directory in
            let tree = directory.appendingPathComponent("tree")
            try Support.write(Array("x".utf8), to: tree.appendingPathComponent("sub/x.txt"))
            let archiveURL = directory.appendingPathComponent("dot.tar")
            let creation = try Support.runTar(["-cf", archiveURL.path, "-C", tree.path, "."])
            #expect(creation.status == 0, "tar -cf failed: \(creation.output)")
            let out = directory.appendingPathComponent("out")
            let extractor = try Support.extract(try Support.bytes(at: archiveURL), into: out)
            #expect(extractor.writtenFiles == ["sub/x.txt"])
            #expect(try Support.bytes(at: out.appendingPathComponent("sub/x.txt")) == Array("x".utf8))
        }
    }
}
