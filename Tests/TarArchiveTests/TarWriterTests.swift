import Foundation
import TarArchive
import Testing

@Suite("TarWriter")
struct TarWriterTests {
    /// The text of a NUL-terminated header field.
    private func field(_ block: [UInt8], _ offset: Int, _ width: Int) -> String {
        let bytes = block[offset..<(offset + width)]
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private func checksumIsValid(_ block: [UInt8]) -> Bool {
        let stored = Int(field(block, 148, 8).trimmingCharacters(in: .whitespaces), radix: 8)
        var copy = block
        for index in 148..<156 { copy[index] = UInt8(ascii: " ") }
        return stored == copy.reduce(0) { $0 + Int($1) }
    }

    private let writer = TarWriter(
        userID: 1000,
        groupID: 1001,
        modificationTime: Date(timeIntervalSince1970: 1_700_000_000)
    )

    @Test("a file header has the POSIX ustar layout and a valid checksum")
    func fileHeaderLayout() {
        let block = writer.fileHeader(path: "dir/file.txt", size: 1234, mode: 0o755)
        #expect(block.count == 512)
        #expect(field(block, 0, 100) == "dir/file.txt")
        #expect(field(block, 100, 8) == "0000755")
        #expect(field(block, 108, 8) == "0001750")
        #expect(field(block, 116, 8) == "0001751")
        #expect(field(block, 124, 12) == "00000002322")
        #expect(field(block, 136, 12) == "14524770400")
        #expect(block[156] == UInt8(ascii: "0"))
        #expect(Array(block[257..<263]) == Array("ustar".utf8) + [0])
        #expect(field(block, 263, 2) == "00")
        #expect(checksumIsValid(block))
    }

    @Test("a directory header gets a trailing slash and typeflag 5")
    func directoryHeaderLayout() {
        let block = writer.directoryHeader(path: "a/b")
        #expect(block.count == 512)
        #expect(field(block, 0, 100) == "a/b/")
        #expect(field(block, 100, 8) == "0000755")
        #expect(block[156] == UInt8(ascii: "5"))
        #expect(field(block, 124, 12) == "00000000000")
        #expect(checksumIsValid(block))
    }

    @Test("setuid, setgid and sticky bits are kept in the header as given")
    func modeBitsArePassedThrough() {
        #expect(field(writer.fileHeader(path: "x", size: 0, mode: 0o4755), 100, 8) == "0004755")
    }

    @Test("a name over 100 bytes is carried by a PAX path record")
    func longNameUsesPAX() {
        let name = "long/" + String(repeating: "x", count: 145)
        let bytes = writer.fileHeader(path: name, size: 3)
        #expect(bytes.count == 3 * 512)
        let pax = Array(bytes[0..<512])
        #expect(pax[156] == UInt8(ascii: "x"))
        #expect(checksumIsValid(pax))
        let record = "\(name.utf8.count + 10) path=\(name)\n"
        #expect(record.utf8.count == name.utf8.count + 10)
        #expect(Int(field(pax, 124, 12), radix: 8) == record.utf8.count)
        #expect(String(decoding: bytes[512..<(512 + record.utf8.count)], as: UTF8.self) == record)
        #expect(bytes[(512 + record.utf8.count)..<1024].allSatisfy { $0 == 0 })
        let main = Array(bytes[1024..<1536])
        #expect(main[156] == UInt8(ascii: "0"))
        #expect(field(main, 0, 100) == String(name.prefix(100)))
        #expect(checksumIsValid(main))
    }

    @Test("a name of exactly 100 bytes needs no PAX header")
    func hundredByteName() {
        let name = String(repeating: "n", count: 100)
        let bytes = writer.fileHeader(path: name, size: 0)
        #expect(bytes.count == 512)
        #expect(field(bytes, 0, 100) == name)
    }

    @Test("a size of 8 GiB or more gets a PAX size record and a base-256 size field")
    func hugeSize() {
        let size: UInt64 = 10 << 30
        let bytes = writer.fileHeader(path: "big.bin", size: size)
        #expect(bytes.count == 3 * 512)
        #expect(bytes[156] == UInt8(ascii: "x"))
        let record = "20 size=10737418240\n"
        #expect(String(decoding: bytes[512..<(512 + record.utf8.count)], as: UTF8.self) == record)
        let main = Array(bytes[1024..<1536])
        #expect(main[124] == 0x80)
        let value = main[125..<136].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(value == size)
        #expect(checksumIsValid(main))
    }

    @Test("padding rounds content up to whole blocks; end is two zero blocks")
    func paddingAndEnd() {
        #expect(writer.padding(forSize: 0).isEmpty)
        #expect(writer.padding(forSize: 1).count == 511)
        #expect(writer.padding(forSize: 512).isEmpty)
        #expect(writer.padding(forSize: 513).count == 511)
        #expect(writer.padding(forSize: 513).allSatisfy { $0 == 0 })
        #expect(writer.end() == [UInt8](repeating: 0, count: 1024))
    }

    @Test("archive() lays out headers, content, padding and the end marker")
    func inMemoryArchive() {
        let bytes = TarWriter.archive(
            [.directory(path: "d"), .file(path: "d/f", contents: [1, 2, 3]), .file(path: "d/empty", contents: [])],
            writer: writer
        )
        #expect(bytes.count == 512 + (512 + 512) + 512 + 1024)
        #expect(field(bytes, 0, 100) == "d/")
        #expect(field(Array(bytes[512..<1024]), 0, 100) == "d/f")
        #expect(Array(bytes[1024..<1027]) == [1, 2, 3])
        #expect(field(Array(bytes[1536..<2048]), 0, 100) == "d/empty")
        #expect(bytes[2048...].allSatisfy { $0 == 0 })
    }

    @Test("archiveChunks reads a file in chunkSize pieces and yields exactly byteCount bytes")
    func streamedChunks() async throws {
        try await TarTestSupport.withTemporaryDirectoryAsync { directory in
            let file = directory.appendingPathComponent("data.bin")
            let contents = TarTestSupport.pseudoRandomBytes(count: 5000, seed: 1)
            try TarTestSupport.write(contents, to: file)
            let sequence = try writer.archiveChunks(
                [.directory(path: "in"), .file(path: "in/data.bin", url: file), .bytes(path: "in/x", contents: [9])],
                chunkSize: 1000
            )
            #expect(sequence.byteCount == 512 + 512 + 5120 + 512 + 512 + 1024)
            var chunks: [[UInt8]] = []
            for try await chunk in sequence { chunks.append(chunk) }
            #expect(chunks.map(\.count) == [512, 512, 1000, 1000, 1000, 1000, 1120, 1024, 1024])
            let all = chunks.flatMap { $0 }
            #expect(UInt64(all.count) == sequence.byteCount)
            #expect(Array(all[1024..<6024]) == contents)
            #expect(all[6024..<6144].allSatisfy { $0 == 0 })
            #expect(field(Array(all[512..<1024]), 100, 8) == "0000644")
        }
    }

    @Test("fileEntryChunks yields one entry without an end marker; an executable file gets 0755")
    func singleEntryChunks() async throws {
        try await TarTestSupport.withTemporaryDirectoryAsync { directory in
            let file = directory.appendingPathComponent("run.sh")
            try TarTestSupport.write(Array("#!/bin/sh\n".utf8), to: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: file.path)
            let sequence = try writer.fileEntryChunks(path: "run.sh", fileURL: file)
            #expect(sequence.byteCount == 1024)
            var all: [UInt8] = []
            for try await chunk in sequence { all += chunk }
            #expect(all.count == 1024)
            #expect(field(all, 100, 8) == "0000755")
            #expect(String(decoding: all[512..<522], as: UTF8.self) == "#!/bin/sh\n")
        }
    }

    @Test("a file that grows or shrinks after the sequence is made fails the stream")
    func sourceChanged() async throws {
        try await TarTestSupport.withTemporaryDirectoryAsync { directory in
            let file = directory.appendingPathComponent("f")
            try TarTestSupport.write([UInt8](repeating: 1, count: 100), to: file)
            let sequence = try writer.fileEntryChunks(path: "f", fileURL: file, chunkSize: 64)

            try TarTestSupport.write([UInt8](repeating: 1, count: 150), to: file)
            await #expect(throws: TarError.self) {
                for try await _ in sequence {}
            }
            try TarTestSupport.write([UInt8](repeating: 1, count: 50), to: file)
            do {
                for try await _ in sequence {}
                Issue.record("expected sourceChanged")
            } catch {
                guard case .sourceChanged(let path, _) = error as? TarError else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(path == file.path)
            }
        }
    }

    @Test("a missing source file is reported when the sequence is made")
    func missingSource() throws {
        #expect {
            _ = try writer.fileEntryChunks(path: "x", fileURL: URL(fileURLWithPath: "/nonexistent/file"))
        } throws: { error in
            guard case .fileSystem(let path, _) = error as? TarError else { return false }
            return path == "/nonexistent/file"
        }
    }
}
