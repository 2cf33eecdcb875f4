import Foundation
import TarArchive
import Testing

/// Helpers shared by the tar tests: temporary directories, a hand-rolled header encoder that does not reuse the
/// library's, chunked feeding, and running the system `tar`.
enum TarTestSupport {
    // MARK: Temporary directories

    /// Runs `body` with a fresh temporary directory, removed afterwards.
    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    /// Async variant of ``withTemporaryDirectory(_:)``.
    static func withTemporaryDirectoryAsync<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    private static func makeTemporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tar-archive-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Resolve /tmp -> /private/tmp and the like so paths compare equal.
        return directory.resolvingSymlinksInPath()
    }

    // MARK: Hand-made archives

    /// A ustar header block built field by field, independently of the library's encoder.
    static func header(
        name: String,
        typeflag: Character = "0",
        size: Int = 0,
        mode: Int = 0o644,
        linkname: String = "",
        prefix: String = "",
        breakChecksum: Bool = false
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            let bytes = Array(text.utf8)
            precondition(bytes.count <= width, "field too long: \(text)")
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0, width: 100)
        put(octal(mode, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(size, width: 12), at: 124, width: 12)
        put(octal(1_700_000_000, width: 12), at: 136, width: 12)
        block[156] = typeflag.asciiValue!
        put(linkname, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        put("        ", at: 148, width: 8)
        var sum = block.reduce(0) { $0 + Int($1) }
        if breakChecksum { sum += 1 }
        put(octal(sum, width: 7), at: 148, width: 8)
        return block
    }

    /// A header followed by its content and padding.
    static func entry(
        name: String,
        typeflag: Character = "0",
        contents: [UInt8] = [],
        mode: Int = 0o644,
        linkname: String = ""
    ) -> [UInt8] {
        header(name: name, typeflag: typeflag, size: contents.count, mode: mode, linkname: linkname)
            + contents + zeroPadding(contents.count)
    }

    /// A PAX extended header (`x` or `g`) carrying `records`.
    static func paxEntry(_ records: [(String, String)], typeflag: Character = "x") -> [UInt8] {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length {
                length = String(length).utf8.count + body.utf8.count
            }
            data += Array("\(length)\(body)".utf8)
        }
        return entry(name: "PaxHeaders/x", typeflag: typeflag, contents: data)
    }

    /// The given entries followed by the end-of-archive marker.
    static func archive(_ entries: [UInt8]...) -> [UInt8] {
        entries.flatMap { $0 } + [UInt8](repeating: 0, count: 1024)
    }

    static func zeroPadding(_ size: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: (512 - size % 512) % 512)
    }

    // MARK: Extraction

    /// Feeds `bytes` to a new extractor in chunks of the given sizes (cycled), then finishes it.
    @discardableResult
    static func extract(
        _ bytes: [UInt8],
        into destination: URL,
        chunkSizes: [Int] = [4096],
        stripComponents: Int = 0,
        maxTotalBytes: UInt64 = 1 << 30,
        maxEntries: Int = 10_000
    ) throws -> TarExtractor {
        var extractor = try TarExtractor(
            destination: destination,
            stripComponents: stripComponents,
            maxTotalBytes: maxTotalBytes,
            maxEntries: maxEntries
        )
        var offset = 0
        var turn = 0
        while offset < bytes.count {
            let size = chunkSizes[turn % chunkSizes.count]
            let end = min(offset + size, bytes.count)
            try extractor.feed(bytes[offset..<end])
            offset = end
            turn += 1
        }
        try extractor.finish()
        return extractor
    }

    /// The error extracting `bytes` throws, or nil if it succeeds.
    static func extractionError(
        _ bytes: [UInt8],
        into destination: URL,
        stripComponents: Int = 0,
        maxTotalBytes: UInt64 = 1 << 30,
        maxEntries: Int = 10_000
    ) -> TarError? {
        do {
            try extract(
                bytes,
                into: destination,
                stripComponents: stripComponents,
                maxTotalBytes: maxTotalBytes,
                maxEntries: maxEntries
            )
            return nil
        } catch let error as TarError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    // MARK: Files

    static func bytes(at url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(bytes).write(to: url)
    }

    static func permissions(at url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as! NSNumber).intValue
    }

    static func fileType(at url: URL) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType
    }

    /// Deterministic pseudo-random bytes.
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    // MARK: System tar

    /// `/usr/bin/tar` or `/bin/tar`, whichever exists.
    static let systemTar: URL? = ["/usr/bin/tar", "/bin/tar"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
        .map { URL(fileURLWithPath: $0) }

    /// Whether the system tar is GNU tar (else assume bsdtar).
    static let systemTarIsGNU: Bool = {
        guard let result = try? runTar(["--version"]) else { return false }
        return result.output.contains("GNU tar")
    }()

    /// Runs the system tar; returns its exit status and standard output (standard error appended).
    static func runTar(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        guard let tar = systemTar else { throw CocoaError(.fileNoSuchFile) }
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("tar-output-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        let process = Process()
        process.executableURL = tar
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        try output.close()
        let text = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
        return (process.terminationStatus, text)
    }
}
