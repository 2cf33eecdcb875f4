import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Extracts a tar stream fed in arbitrary chunks into a directory, refusing anything unsafe.
///
/// Feed it the bytes as they arrive with ``feed(_:)``, then call ``finish()``. File content goes straight to
/// disk; only a header block and PAX / GNU long-name data (at most 1 MiB per entry) are held in memory.
///
/// What it creates: regular files (mode 0644, or 0755 when the entry has any execute bit; never
/// setuid/setgid/sticky; owned by the current user), directories (0755), symbolic links whose target stays
/// inside the destination, and hard links to regular files extracted earlier.
///
/// What it refuses, by throwing a ``TarError`` naming the entry: absolute paths, `..` components, link targets
/// that are absolute or leave the destination (and symbolic link targets with `..` after a name, whose meaning
/// depends on other links), writing through any symbolic link (an entry `a -> sub` then `a/x`), replacing a
/// directory, devices, FIFOs and other entry types, GNU sparse files, more than ``maxEntries`` entries, more
/// than ``maxTotalBytes`` of regular file content, bad checksums, and truncated archives.
///
/// Existing regular files and symbolic links at an entry's path are replaced (unlinked first, never written
/// through). PAX global headers (`g`) are parsed and otherwise ignored. After an error the extractor stays
/// failed and the destination holds whatever was written so far: delete it.
public struct TarExtractor: Sendable {
    /// The directory entries are written into.
    public let destination: URL
    /// How many leading path components are removed from every entry name (and hard link target).
    ///
    /// Empty and `.` components are dropped before counting (`./out/a` strips like `out/a`). Entries left with
    /// no components (such as `out/` itself with `stripComponents: 1`) are skipped; `..` is refused even in the
    /// part that would be stripped.
    public let stripComponents: Int
    /// The most bytes of regular file content (declared sizes, skipped entries included) the archive may hold.
    public let maxTotalBytes: UInt64
    /// The most entries (files, directories, links; not PAX or GNU metadata headers) the archive may hold.
    public let maxEntries: Int

    /// Relative paths (after stripping, `/`-separated) of the regular files written so far, in archive order,
    /// hard links included. A path replaced later by a symbolic link is removed.
    public private(set) var writtenFiles: [String] = []
    /// Entries seen so far, skipped ones included.
    public private(set) var entryCount = 0
    /// Declared regular file bytes seen so far.
    public private(set) var totalBytes: UInt64 = 0

    /// The largest PAX extended header or GNU long name/link the extractor buffers.
    public static let maxExtendedHeaderBytes: UInt64 = 1 << 20

    /// The destination's resolved path (no symbolic links), without a trailing `/`.
    private let root: String
    private var phase: Phase = .header
    /// The partial header block being collected.
    private var block: [UInt8] = []
    /// Zero blocks seen in a row at header position.
    private var zeroBlocks = 0
    /// Data of the PAX / GNU metadata entry being collected.
    private var metadata: [UInt8] = []
    private var pending = PendingMetadata()
    private var writtenIndex: Set<String> = []

    private enum Phase: Sendable {
        case header
        case data(Sink, remaining: UInt64, padding: Int)
        case padding(Int)
        case ended
        case finished
        case failed(TarError)
    }

    /// Where an entry's data goes.
    private enum Sink: Sendable {
        case file(FileHandle, entry: String, path: String)
        case skip
        case metadata(typeflag: UInt8, entry: String)
    }

    /// Values from PAX (`x`) and GNU (`L`, `K`) headers waiting for the entry they describe.
    private struct PendingMetadata: Sendable {
        var path: String?
        var linkPath: String?
        var size: UInt64?
        var sparse = false
        var isEmpty: Bool { path == nil && linkPath == nil && size == nil && !sparse }
    }

    /// Creates an extractor writing into `destination`, which is created if missing.
    public init(
        destination: URL,
        stripComponents: Int = 0,
        maxTotalBytes: UInt64 = 16 << 30,
        maxEntries: Int = 100_000
    ) throws(TarError) {
        self.destination = destination
        self.stripComponents = max(0, stripComponents)
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
        do {
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(destination.path, reason: "cannot create destination: \(error.localizedDescription)")
        }
        guard let resolved = realpath(destination.path, nil) else {
            throw .fileSystem(destination.path, reason: "cannot resolve destination: \(Self.errnoText())")
        }
        let path = String(cString: resolved)
        free(resolved)
        root = path == "/" ? "" : path
    }

    // MARK: Feeding

    /// Consumes the next bytes of the archive, writing whatever entries they complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(TarError) {
        switch phase {
        case .failed(let error): throw error
        case .finished: throw .corrupt("data fed after finish()")
        default: break
        }
        do {
            if let array = bytes as? [UInt8] {
                try process(array[...])
            } else if let slice = bytes as? ArraySlice<UInt8> {
                try process(slice)
            } else {
                try process(ArraySlice(bytes))
            }
        } catch {
            fail(error)
            throw error
        }
    }

    /// Checks that the archive ended properly (end-of-archive marker, nothing cut off) and closes any open file.
    public mutating func finish() throws(TarError) {
        switch phase {
        case .failed(let error):
            throw error
        case .finished:
            return
        case .ended:
            phase = .finished
        case .header where block.isEmpty && zeroBlocks == 1 && pending.isEmpty:
            // A single zero block at the very end: accepted, as GNU tar does.
            phase = .finished
        default:
            fail(.truncated)
            throw .truncated
        }
    }

    private mutating func fail(_ error: TarError) {
        if case .data(.file(let handle, _, _), _, _) = phase { try? handle.close() }
        phase = .failed(error)
    }

    private mutating func process(_ input: ArraySlice<UInt8>) throws(TarError) {
        var index = input.startIndex
        while index < input.endIndex {
            let available = input.endIndex - index
            switch phase {
            case .header:
                let take = min(TarHeader.blockSize - block.count, available)
                block += input[index..<(index + take)]
                index += take
                if block.count == TarHeader.blockSize {
                    let complete = block
                    block = []
                    try handleBlock(complete)
                }
            case .data(let sink, let remaining, let padding):
                let take = Int(min(UInt64(available), remaining))
                try write(input[index..<(index + take)], to: sink)
                index += take
                if remaining == UInt64(take) {
                    try completeData(sink, padding: padding)
                } else {
                    phase = .data(sink, remaining: remaining - UInt64(take), padding: padding)
                }
            case .padding(let count):
                let take = min(count, available)
                index += take
                phase = count == take ? .header : .padding(count - take)
            case .ended:
                // Anything after the end-of-archive marker (record padding) is ignored.
                return
            case .finished, .failed:
                preconditionFailure("process() called in a terminal phase")
            }
        }
    }

    /// Starts reading `size` data bytes (plus padding) into `sink`; completes at once when there are none.
    private mutating func startData(_ sink: Sink, size: UInt64) throws(TarError) {
        let padding = TarWriter.paddingCount(forSize: size)
        if size == 0 {
            try completeData(sink, padding: padding)
        } else {
            phase = .data(sink, remaining: size, padding: padding)
        }
    }

    private mutating func write(_ bytes: ArraySlice<UInt8>, to sink: Sink) throws(TarError) {
        switch sink {
        case .file(let handle, let entry, let path):
            do {
                try handle.write(contentsOf: Data(bytes))
            } catch {
                throw .fileSystem(path, reason: "write failed for entry '\(entry)': \(error.localizedDescription)")
            }
        case .skip:
            break
        case .metadata:
            metadata += bytes
        }
    }

    private mutating func completeData(_ sink: Sink, padding: Int) throws(TarError) {
        phase = padding == 0 ? .header : .padding(padding)
        switch sink {
        case .file(let handle, let entry, let path):
            do {
                try handle.close()
            } catch {
                throw .fileSystem(path, reason: "close failed for entry '\(entry)': \(error.localizedDescription)")
            }
        case .skip:
            break
        case .metadata(let typeflag, let entry):
            let data = metadata
            metadata = []
            try applyMetadata(data, typeflag: typeflag, entry: entry)
        }
    }

    // MARK: Headers

    private mutating func handleBlock(_ bytes: [UInt8]) throws(TarError) {
        if TarHeader.isZeroBlock(bytes) {
            zeroBlocks += 1
            if zeroBlocks == 2 {
                guard pending.isEmpty else { throw .corrupt("extended header not followed by an entry") }
                phase = .ended
            }
            return
        }
        guard zeroBlocks == 0 else { throw .corrupt("a lone zero block inside the archive") }
        let header = try TarHeader.decode(bytes)
        switch header.typeflag {
        case TarHeader.TypeFlag.paxExtended, TarHeader.TypeFlag.paxGlobal,
            TarHeader.TypeFlag.gnuLongName, TarHeader.TypeFlag.gnuLongLink:
            guard header.size <= Self.maxExtendedHeaderBytes else {
                throw .tooLarge(header.name, bytes: header.size, limit: Self.maxExtendedHeaderBytes)
            }
            metadata.reserveCapacity(Int(header.size))
            try startData(.metadata(typeflag: header.typeflag, entry: header.name), size: header.size)
        default:
            try beginEntry(header)
        }
    }

    private mutating func applyMetadata(_ data: [UInt8], typeflag: UInt8, entry: String) throws(TarError) {
        switch typeflag {
        case TarHeader.TypeFlag.paxExtended:
            let records = try TarHeader.parsePAXRecords(data, entry: entry)
            if let path = records["path"] { pending.path = path }
            if let linkPath = records["linkpath"] { pending.linkPath = linkPath }
            if let size = records["size"] {
                guard !size.isEmpty, size.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                    let value = UInt64(size)
                else {
                    throw .corrupt("invalid PAX size '\(size)' in '\(entry)'")
                }
                pending.size = value
            }
            if records.keys.contains(where: { $0.hasPrefix("GNU.sparse.") }) { pending.sparse = true }
        case TarHeader.TypeFlag.paxGlobal:
            // Validated, not applied: global path/linkpath/size records make no sense for this use.
            _ = try TarHeader.parsePAXRecords(data, entry: entry)
        case TarHeader.TypeFlag.gnuLongName:
            pending.path = Self.cString(data)
        case TarHeader.TypeFlag.gnuLongLink:
            pending.linkPath = Self.cString(data)
        default:
            preconditionFailure("not a metadata typeflag")
        }
    }

    private static func cString(_ data: [UInt8]) -> String {
        String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: Entries

    private mutating func beginEntry(_ header: TarHeader) throws(TarError) {
        let name = pending.path ?? header.name
        let linkTarget = pending.linkPath ?? header.linkname
        let size = pending.size ?? header.size
        let sparse = pending.sparse
        pending = PendingMetadata()

        entryCount += 1
        guard entryCount <= maxEntries else { throw .tooManyEntries(name, limit: maxEntries) }

        switch header.typeflag {
        case TarHeader.TypeFlag.regularOld where name.hasSuffix("/"):
            // Pre-POSIX archives mark directories with a trailing slash.
            try extractDirectory(name)
        case TarHeader.TypeFlag.regular, TarHeader.TypeFlag.regularOld, TarHeader.TypeFlag.contiguous:
            guard !sparse else { throw .unsupportedType(name, typeflag: UInt8(ascii: "S")) }
            let (total, overflow) = totalBytes.addingReportingOverflow(size)
            guard !overflow, total <= maxTotalBytes else {
                throw .tooLarge(name, bytes: overflow ? .max : total, limit: maxTotalBytes)
            }
            totalBytes = total
            guard let components = try relativeComponents(name, allowEmpty: false) else {
                try startData(.skip, size: size)
                return
            }
            let sink = try createFile(components, entry: name, executable: header.mode & 0o111 != 0)
            try startData(sink, size: size)
        case TarHeader.TypeFlag.directory:
            try extractDirectory(name)
        case TarHeader.TypeFlag.symbolicLink:
            try extractSymbolicLink(name, target: linkTarget)
        case TarHeader.TypeFlag.hardLink:
            try extractHardLink(name, target: linkTarget)
        default:
            throw .unsupportedType(name, typeflag: header.typeflag)
        }
    }

    private mutating func extractDirectory(_ name: String) throws(TarError) {
        guard let components = try relativeComponents(name, allowEmpty: true) else { return }
        try prepareParents(components, entry: name)
        let path = absolutePath(components)
        switch Self.fileType(path) {
        case nil:
            try makeDirectory(path, entry: name)
        case S_IFDIR:
            break
        case S_IFLNK:
            throw .unsafePath(name, reason: "'\(components.joined(separator: "/"))' is a symbolic link")
        default:
            throw .conflict(name, reason: "'\(components.joined(separator: "/"))' exists and is not a directory")
        }
    }

    private mutating func createFile(_ components: [String], entry: String, executable: Bool) throws(TarError) -> Sink {
        try prepareParents(components, entry: entry)
        let relative = components.joined(separator: "/")
        let path = absolutePath(components)
        try clearFinal(path, relative: relative, entry: entry)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .fileSystem(path, reason: "cannot create file for entry '\(entry)': \(Self.errnoText())")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        guard fchmod(descriptor, executable ? 0o755 : 0o644) == 0 else {
            let reason = Self.errnoText()
            try? handle.close()
            throw .fileSystem(path, reason: "cannot set mode for entry '\(entry)': \(reason)")
        }
        recordWritten(relative)
        return .file(handle, entry: entry, path: path)
    }

    private mutating func extractSymbolicLink(_ name: String, target: String) throws(TarError) {
        guard let components = try relativeComponents(name, allowEmpty: false) else { return }
        guard !target.isEmpty else { throw .unsafeLink(name, target: target, reason: "empty target") }
        guard !target.contains("\0") else { throw .unsafeLink(name, target: target, reason: "target contains NUL") }
        guard !target.hasPrefix("/") else { throw .linkEscapes(name, target: target) }
        // Only a leading run of `..` is allowed: `x/..` would mean "up from wherever x points", which
        // depends on other links; a leading `..` climbs real directories this extractor created or checked.
        let targetComponents = target.split(separator: "/").map(String.init).filter { $0 != "." }
        var ups = 0
        var seenName = false
        for component in targetComponents {
            if component == ".." {
                guard !seenName else {
                    throw .unsafeLink(name, target: target, reason: "'..' after a name component")
                }
                ups += 1
            } else {
                seenName = true
            }
        }
        guard ups <= components.count - 1 else { throw .linkEscapes(name, target: target) }

        try prepareParents(components, entry: name)
        let relative = components.joined(separator: "/")
        let path = absolutePath(components)
        try clearFinal(path, relative: relative, entry: name)
        let normalized = targetComponents.isEmpty ? "." : targetComponents.joined(separator: "/")
        guard symlink(normalized, path) == 0 else {
            throw .fileSystem(path, reason: "cannot create symbolic link for entry '\(name)': \(Self.errnoText())")
        }
    }

    private mutating func extractHardLink(_ name: String, target: String) throws(TarError) {
        guard let components = try relativeComponents(name, allowEmpty: false) else { return }
        guard !target.isEmpty else { throw .unsafeLink(name, target: target, reason: "empty target") }
        guard !target.contains("\0") else { throw .unsafeLink(name, target: target, reason: "target contains NUL") }
        let targetComponents = target.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !target.hasPrefix("/"), !targetComponents.contains(".."),
            targetComponents.count > stripComponents
        else {
            throw .linkEscapes(name, target: target)
        }
        let targetRelative = Array(targetComponents.dropFirst(stripComponents))
        // The target must be a regular file reached through real directories only.
        for depth in 1..<targetRelative.count {
            guard Self.fileType(absolutePath(Array(targetRelative.prefix(depth)))) == S_IFDIR else {
                throw .unsafeLink(name, target: target, reason: "target is not reached through directories")
            }
        }
        let targetPath = absolutePath(targetRelative)
        guard Self.fileType(targetPath) == S_IFREG else {
            throw .unsafeLink(name, target: target, reason: "target is not a regular file extracted earlier")
        }
        if targetRelative == components { return }

        try prepareParents(components, entry: name)
        let relative = components.joined(separator: "/")
        let path = absolutePath(components)
        try clearFinal(path, relative: relative, entry: name)
        guard link(targetPath, path) == 0 else {
            throw .fileSystem(path, reason: "cannot create hard link for entry '\(name)': \(Self.errnoText())")
        }
        recordWritten(relative)
    }

    // MARK: Paths

    /// The entry's path components below the destination, or nil when stripping leaves nothing (skip it).
    ///
    /// Throws for NUL bytes, absolute paths, `..` components, and (unless `allowEmpty`) empty names.
    private func relativeComponents(_ name: String, allowEmpty: Bool) throws(TarError) -> [String]? {
        guard !name.contains("\0") else { throw .unsafePath(name, reason: "contains a NUL byte") }
        guard !name.hasPrefix("/") else { throw .unsafePath(name, reason: "absolute path") }
        let components = name.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !components.contains("..") else { throw .unsafePath(name, reason: "contains a '..' component") }
        if components.isEmpty {
            if allowEmpty { return nil }
            throw .unsafePath(name, reason: "empty path")
        }
        guard components.count > stripComponents else { return nil }
        return Array(components.dropFirst(stripComponents))
    }

    private func absolutePath(_ components: [String]) -> String {
        root + "/" + components.joined(separator: "/")
    }

    /// Makes sure every parent of the entry is a real directory (not a symbolic link), creating missing ones.
    private func prepareParents(_ components: [String], entry: String) throws(TarError) {
        for depth in 1..<components.count {
            let prefix = Array(components.prefix(depth))
            let path = absolutePath(prefix)
            switch Self.fileType(path) {
            case nil:
                try makeDirectory(path, entry: entry)
            case S_IFDIR:
                continue
            case S_IFLNK:
                throw .unsafePath(
                    entry,
                    reason: "'\(prefix.joined(separator: "/"))' is a symbolic link; refusing to write through it"
                )
            default:
                throw .conflict(entry, reason: "'\(prefix.joined(separator: "/"))' exists and is not a directory")
            }
        }
    }

    /// Removes a file or symbolic link at the entry's own path; refuses to replace a directory.
    private mutating func clearFinal(_ path: String, relative: String, entry: String) throws(TarError) {
        switch Self.fileType(path) {
        case nil:
            return
        case S_IFDIR:
            throw .conflict(entry, reason: "a directory exists at '\(relative)'")
        default:
            guard unlink(path) == 0 else {
                throw .fileSystem(path, reason: "cannot replace for entry '\(entry)': \(Self.errnoText())")
            }
            if writtenIndex.remove(relative) != nil {
                writtenFiles.removeAll { $0 == relative }
            }
        }
    }

    private func makeDirectory(_ path: String, entry: String) throws(TarError) {
        guard mkdir(path, 0o755) == 0 || (errno == EEXIST && Self.fileType(path) == S_IFDIR) else {
            throw .fileSystem(path, reason: "cannot create directory for entry '\(entry)': \(Self.errnoText())")
        }
        // Undo any restrictive umask: directories are always 0755.
        _ = chmod(path, 0o755)
    }

    private mutating func recordWritten(_ relative: String) {
        if writtenIndex.insert(relative).inserted { writtenFiles.append(relative) }
    }

    /// The `S_IFMT` bits of `path` without following a final symbolic link; nil if it does not exist.
    private static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
