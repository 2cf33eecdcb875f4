import Foundation
import TarArchive
import Testing

private typealias Support = TarTestSupport

/// Each hostile archive is extracted into `<tmp>/dest`; the tests also check nothing appeared in `<tmp>`.
@Suite("TarExtractor: refused archives")
struct TarExtractorRefusalTests {
    /// Extracts into `<tmp>/dest` and returns the error plus the names found next to `dest` afterwards.
    private func refuse(
        _ archive: [UInt8],
        stripComponents: Int = 0,
        maxTotalBytes: UInt64 = 1 << 30,
        maxEntries: Int = 10_000
    ) throws -> (error: TarError?, outside: [String]) {
        try Support.withTemporaryDirectory { directory in
            let error = Support.extractionError(
                archive,
                into: directory.appendingPathComponent("dest"),
                stripComponents: stripComponents,
                maxTotalBytes: maxTotalBytes,
                maxEntries: maxEntries
            )
            let outside = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            return (error, outside.filter { $0 != "dest" })
        }
    }

    @Test("an absolute path is refused")
    func absolutePath() throws {
        let result = try refuse(Support.archive(Support.entry(name: "/tmp/evil", contents: [1])))
        #expect(result.error == .unsafePath("/tmp/evil", reason: "absolute path"))
    }

    @Test("'../x' is refused and nothing is written next to the destination")
    func parentComponent() throws {
        let result = try refuse(Support.archive(Support.entry(name: "../x", contents: [1])))
        #expect(result.error == .unsafePath("../x", reason: "contains a '..' component"))
        #expect(result.outside.isEmpty)
    }

    @Test("'a/../../x' is refused")
    func nestedParentComponent() throws {
        let result = try refuse(Support.archive(Support.entry(name: "a/../../x", contents: [1])))
        #expect(result.error == .unsafePath("a/../../x", reason: "contains a '..' component"))
        #expect(result.outside.isEmpty)
    }

    @Test("'..' inside a part that stripComponents would remove is still refused")
    func parentComponentInStrippedPart() throws {
        let result = try refuse(Support.archive(Support.entry(name: "../x", contents: [1])), stripComponents: 1)
        #expect(result.error == .unsafePath("../x", reason: "contains a '..' component"))
    }

    @Test("a symbolic link to /etc/passwd is refused")
    func symlinkAbsolute() throws {
        let result = try refuse(Support.archive(Support.entry(name: "passwd", typeflag: "2", linkname: "/etc/passwd")))
        #expect(result.error == .linkEscapes("passwd", target: "/etc/passwd"))
    }

    @Test("a symbolic link 'a -> ..' is refused before 'a/x' can be written through it")
    func symlinkParentThenWrite() throws {
        let result = try refuse(
            Support.archive(
                Support.entry(name: "a", typeflag: "2", linkname: ".."),
                Support.entry(name: "a/x", contents: Array("pwned".utf8))
            )
        )
        #expect(result.error == .linkEscapes("a", target: ".."))
        #expect(result.outside.isEmpty)
    }

    @Test("a relative symbolic link climbing out through several levels is refused")
    func symlinkClimbsOut() throws {
        let result = try refuse(Support.archive(Support.entry(name: "a/b/c", typeflag: "2", linkname: "../../../etc")))
        #expect(result.error == .linkEscapes("a/b/c", target: "../../../etc"))
    }

    @Test("a symbolic link with '..' after a name is refused")
    func symlinkDotDotAfterName() throws {
        let result = try refuse(Support.archive(Support.entry(name: "l", typeflag: "2", linkname: "sub/../..")))
        #expect(result.error == .unsafeLink("l", target: "sub/../..", reason: "'..' after a name component"))
    }

    @Test("writing through a symbolic link created earlier is refused, even one that points inside")
    func writeThroughSymlink() throws {
        // `sub/a -> ..` resolves to the destination itself, so the link is allowed; writing `sub/a/x` is not.
        let result = try refuse(
            Support.archive(
                Support.entry(name: "sub/a", typeflag: "2", linkname: ".."),
                Support.entry(name: "sub/a/x", contents: Array("through".utf8))
            )
        )
        #expect(
            result.error
                == .unsafePath("sub/a/x", reason: "'sub/a' is a symbolic link; refusing to write through it")
        )
        let directory = try refuse(
            Support.archive(
                Support.entry(name: "real/", typeflag: "5"),
                Support.entry(name: "alias", typeflag: "2", linkname: "real"),
                Support.entry(name: "alias/", typeflag: "5")
            )
        )
        #expect(directory.error == .unsafePath("alias/", reason: "'alias' is a symbolic link"))
    }

    @Test("a write through a symbolic link leaves the link's target untouched")
    func writeThroughSymlinkLeavesTargetAlone() throws {
        try Support.withTemporaryDirectory { directory in
            let destination = directory.appendingPathComponent("dest")
            let archive = Support.archive(
                Support.entry(name: "real/", typeflag: "5"),
                Support.entry(name: "alias", typeflag: "2", linkname: "real"),
                Support.entry(name: "alias/x", contents: [1])
            )
            #expect(Support.extractionError(archive, into: destination) != nil)
            let real = try FileManager.default.contentsOfDirectory(
                atPath: destination.appendingPathComponent("real").path
            )
            #expect(real.isEmpty)
        }
    }

    @Test("hard links to absolute or escaping targets, or to files not extracted, are refused")
    func hardLinks() throws {
        let absolute = try refuse(Support.archive(Support.entry(name: "h", typeflag: "1", linkname: "/etc/passwd")))
        #expect(absolute.error == .linkEscapes("h", target: "/etc/passwd"))
        let escaping = try refuse(Support.archive(Support.entry(name: "h", typeflag: "1", linkname: "../outside")))
        #expect(escaping.error == .linkEscapes("h", target: "../outside"))
        let missing = try refuse(Support.archive(Support.entry(name: "h", typeflag: "1", linkname: "nothing")))
        #expect(
            missing.error
                == .unsafeLink("h", target: "nothing", reason: "target is not a regular file extracted earlier")
        )
    }

    @Test("device files, FIFOs and unknown entry types are refused", arguments: ["3", "4", "6", "S", "V", "Z"])
    func unsupportedTypes(typeflag: Character) throws {
        let result = try refuse(Support.archive(Support.entry(name: "dev/thing", typeflag: typeflag)))
        #expect(result.error == .unsupportedType("dev/thing", typeflag: typeflag.asciiValue!))
    }

    @Test("a character device entry is refused and its error names it")
    func characterDevice() throws {
        let result = try refuse(Support.archive(Support.entry(name: "dev/null", typeflag: "3")))
        #expect(result.error == .unsupportedType("dev/null", typeflag: UInt8(ascii: "3")))
        #expect(result.error?.description.contains("character device") == true)
        #expect(result.error?.description.contains("dev/null") == true)
    }

    @Test("a FIFO entry is refused")
    func fifo() throws {
        let result = try refuse(Support.archive(Support.entry(name: "pipe", typeflag: "6")))
        #expect(result.error == .unsupportedType("pipe", typeflag: UInt8(ascii: "6")))
    }

    @Test("file content over maxTotalBytes is refused before it is written")
    func tooLarge() throws {
        try Support.withTemporaryDirectory { directory in
            let archive = Support.archive(
                Support.entry(name: "one", contents: [UInt8](repeating: 1, count: 600)),
                Support.entry(name: "two", contents: [UInt8](repeating: 2, count: 600))
            )
            let destination = directory.appendingPathComponent("dest")
            let error = Support.extractionError(archive, into: destination, maxTotalBytes: 1000)
            #expect(error == .tooLarge("two", bytes: 1200, limit: 1000))
            #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("two").path))
        }
    }

    @Test("a single file declaring a huge PAX size is refused without reading it")
    func hugeDeclaredSize() throws {
        let archive = Support.paxEntry([("size", "99999999999999")]) + Support.header(name: "huge", size: 0)
        let result = try refuse(archive)
        #expect(result.error == .tooLarge("huge", bytes: 99_999_999_999_999, limit: 1 << 30))
    }

    @Test("an extended header over 1 MiB is refused")
    func extendedHeaderTooLarge() throws {
        let archive = Support.header(name: "././@LongLink", typeflag: "L", size: 2 << 20)
        let result = try refuse(archive)
        #expect(result.error == .tooLarge("././@LongLink", bytes: 2 << 20, limit: 1 << 20))
    }

    @Test("more than maxEntries entries are refused")
    func tooManyEntries() throws {
        let archive = Support.archive(
            Support.entry(name: "a", contents: []),
            Support.entry(name: "b/", typeflag: "5"),
            Support.entry(name: "c", contents: [])
        )
        #expect(try refuse(archive, maxEntries: 3).error == nil)
        #expect(try refuse(archive, maxEntries: 2).error == .tooManyEntries("c", limit: 2))
    }

    @Test("a bad header checksum is refused")
    func badChecksum() throws {
        let archive = Support.archive(
            Support.header(name: "bad", size: 0, breakChecksum: true)
        )
        let result = try refuse(archive)
        guard case .corrupt(let reason) = result.error else {
            Issue.record("expected .corrupt, got \(String(describing: result.error))")
            return
        }
        #expect(reason.contains("checksum"))
        #expect(reason.contains("bad"))
    }

    @Test("a corrupted content byte in a header (bit flip) is caught by the checksum")
    func bitFlip() throws {
        var archive = TarWriter.archive([.file(path: "ok.txt", contents: Array("fine".utf8))])
        archive[3] ^= 0x01
        guard case .corrupt = try refuse(archive).error else {
            Issue.record("expected .corrupt")
            return
        }
    }

    @Test("a truncated archive fails in finish()", arguments: [0, 100, 512, 700, 1024, 1536])
    func truncated(length: Int) throws {
        let full = TarWriter.archive([.file(path: "f", contents: [UInt8](repeating: 7, count: 600))])
        #expect(full.count == 512 + 1024 + 1024)
        try Support.withTemporaryDirectory { directory in
            var extractor = try TarExtractor(destination: directory)
            try extractor.feed(full[..<length])
            #expect(throws: TarError.truncated) { try extractor.finish() }
        }
    }

    @Test("a lone zero block followed by a header is refused")
    func loneZeroBlock() throws {
        let archive = [UInt8](repeating: 0, count: 512) + Support.archive(Support.entry(name: "x", contents: [1]))
        guard case .corrupt = try refuse(archive).error else {
            Issue.record("expected .corrupt")
            return
        }
    }

    @Test("an extractor that failed keeps failing with the same error")
    func failedStaysFailed() throws {
        try Support.withTemporaryDirectory { directory in
            var extractor = try TarExtractor(destination: directory)
            let bad = Support.archive(Support.entry(name: "/abs", contents: []))
            #expect(throws: TarError.unsafePath("/abs", reason: "absolute path")) { try extractor.feed(bad) }
            #expect(throws: TarError.unsafePath("/abs", reason: "absolute path")) { try extractor.feed([0]) }
            #expect(throws: TarError.unsafePath("/abs", reason: "absolute path")) { try extractor.finish() }
        }
    }

    @Test("a file where a directory exists, or under a file, is a conflict")
    func conflicts() throws {
        let fileOverDirectory = try refuse(
            Support.archive(Support.entry(name: "d/", typeflag: "5"), Support.entry(name: "d", contents: [1]))
        )
        #expect(fileOverDirectory.error == .conflict("d", reason: "a directory exists at 'd'"))
        let fileUnderFile = try refuse(
            Support.archive(Support.entry(name: "f", contents: [1]), Support.entry(name: "f/g", contents: [1]))
        )
        #expect(fileUnderFile.error == .conflict("f/g", reason: "'f' exists and is not a directory"))
    }

    @Test("an empty name and a GNU sparse PAX entry are refused")
    func emptyNameAndSparse() throws {
        let empty = try refuse(Support.archive(Support.entry(name: "./", contents: [1])))
        #expect(empty.error == .unsafePath("./", reason: "empty path"))
        let sparse = try refuse(
            Support.archive(
                Support.paxEntry([("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0")]),
                Support.entry(name: "sparse", contents: [1])
            )
        )
        #expect(sparse.error == .unsupportedType("sparse", typeflag: UInt8(ascii: "S")))
    }

    @Test("a malformed PAX record is refused")
    func malformedPAX() throws {
        let bad = Support.entry(name: "PaxHeaders/x", typeflag: "x", contents: Array("99 path=x\n".utf8))
        guard case .corrupt = try refuse(Support.archive(bad, Support.entry(name: "x", contents: []))).error else {
            Issue.record("expected .corrupt")
            return
        }
    }
}
