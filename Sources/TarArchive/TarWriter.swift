import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Produces POSIX ustar archives piece by piece, with PAX extended headers for long names and huge files.
///
/// Every method returns whole 512-byte blocks, so a caller can stream an archive as
/// `fileHeader` + the file's bytes + `padding(forSize:)` for each file, then `end()`.
/// Names longer than 100 bytes get a PAX `path=` record (link targets a `linkpath=` record); sizes of 8 GiB and more get a PAX `size=` record
/// (and a GNU base-256 size field). Entries carry `userID`/`groupID` and empty user/group names.
public struct TarWriter: Sendable {
    /// Owner user id written into every header.
    public var userID: UInt64
    /// Owner group id written into every header.
    public var groupID: UInt64
    /// Modification time used when a method is not given one.
    public var modificationTime: Date

    /// Creates a writer whose entries belong to `userID`:`groupID` and default to `modificationTime`.
    public init(userID: UInt64 = 0, groupID: UInt64 = 0, modificationTime: Date = Date()) {
        self.userID = userID
        self.groupID = groupID
        self.modificationTime = modificationTime
    }

    // MARK: Blocks

    /// The header block(s) of a directory entry; a trailing `/` is added to `path` when missing.
    public func directoryHeader(path: String, mode: UInt32 = 0o755, mtime: Date? = nil) -> [UInt8] {
        let name = path.hasSuffix("/") ? path : path + "/"
        return header(name: name, typeflag: TarHeader.TypeFlag.directory, size: 0, mode: mode, mtime: mtime)
    }

    /// The header block(s) of a regular file of `size` bytes; its content and ``padding(forSize:)`` must follow.
    public func fileHeader(path: String, size: UInt64, mode: UInt32 = 0o644, mtime: Date? = nil) -> [UInt8] {
        header(name: path, typeflag: TarHeader.TypeFlag.regular, size: size, mode: mode, mtime: mtime)
    }

    /// The header block(s) of a symbolic link to `target` (a PAX `linkpath=` record when it is over 100 bytes).
    public func symbolicLinkHeader(path: String, target: String, mtime: Date? = nil) -> [UInt8] {
        header(name: path, typeflag: TarHeader.TypeFlag.symbolicLink, size: 0, mode: 0o777, mtime: mtime, link: target)
    }

    /// The zero bytes that round a file of `size` bytes up to a whole number of blocks.
    public func padding(forSize size: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: Self.paddingCount(forSize: size))
    }

    /// The end-of-archive marker: two zero blocks.
    public func end() -> [UInt8] {
        [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
    }

    // MARK: Whole archives

    /// A complete archive of small in-memory entries, end marker included.
    public static func archive(_ entries: [TarEntry], writer: TarWriter = TarWriter()) -> [UInt8] {
        var bytes: [UInt8] = []
        for entry in entries {
            switch entry {
            case .directory(let path, let mode):
                bytes += writer.directoryHeader(path: path, mode: mode)
            case .file(let path, let contents, let mode):
                bytes += writer.fileHeader(path: path, size: UInt64(contents.count), mode: mode)
                bytes += contents
                bytes += writer.padding(forSize: UInt64(contents.count))
            }
        }
        return bytes + writer.end()
    }

    /// The chunks of one file entry read from disk — header, content in `chunkSize` pieces, padding —
    /// without the end-of-archive marker.
    ///
    /// The file's size is taken now; iteration fails with ``TarError/sourceChanged(_:reason:)`` if it changes.
    public func fileEntryChunks(
        path: String,
        fileURL: URL,
        mode: UInt32? = nil,
        chunkSize: Int = 1 << 20
    ) throws(TarError) -> TarChunkSequence {
        try chunks([.file(path: path, url: fileURL, mode: mode)], chunkSize: chunkSize, includesEndMarker: false)
    }

    /// The chunks of a complete archive of `sources`, end marker included, reading files in `chunkSize` pieces.
    ///
    /// File sizes and times are taken now, so ``TarChunkSequence/byteCount`` is exact (for a Content-Length).
    public func archiveChunks(_ sources: [TarSource], chunkSize: Int = 1 << 20) throws(TarError) -> TarChunkSequence {
        try chunks(sources, chunkSize: chunkSize, includesEndMarker: true)
    }

    // MARK: Internals

    /// Number of zero bytes after `size` bytes of content.
    static func paddingCount(forSize size: UInt64) -> Int {
        let remainder = Int(size % UInt64(TarHeader.blockSize))
        return remainder == 0 ? 0 : TarHeader.blockSize - remainder
    }

    private func chunks(
        _ sources: [TarSource],
        chunkSize: Int,
        includesEndMarker: Bool
    ) throws(TarError) -> TarChunkSequence {
        var items: [TarChunkSequence.Item] = []
        for source in sources {
            switch source {
            case .directory(let path, let mode, let mtime):
                items.append(.inline(directoryHeader(path: path, mode: mode, mtime: mtime)))
            case .bytes(let path, let contents, let mode):
                let size = UInt64(contents.count)
                items.append(
                    .inline(fileHeader(path: path, size: size, mode: mode) + contents + padding(forSize: size))
                )
            case .file(let path, let url, let mode):
                let info = try Self.statRegularFile(url)
                let entryMode = mode ?? (info.executable ? 0o755 : 0o644)
                let header = fileHeader(path: path, size: info.size, mode: entryMode, mtime: info.mtime)
                items.append(.file(header: header, url: url, size: info.size))
            case .symbolicLink(let path, let target):
                items.append(.inline(symbolicLinkHeader(path: path, target: target)))
            }
        }
        return TarChunkSequence(
            items: items,
            chunkSize: max(chunkSize, 1),
            trailer: includesEndMarker ? end() : []
        )
    }

    /// Size, execute bit and modification time of a regular file (following symbolic links).
    private static func statRegularFile(_ url: URL) throws(TarError) -> (size: UInt64, executable: Bool, mtime: Date) {
        var info = stat()
        let result = url.withUnsafeFileSystemRepresentation { path -> Int32 in
            guard let path else { return -1 }
            return stat(path, &info)
        }
        guard result == 0 else {
            throw .fileSystem(url.path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .fileSystem(url.path, reason: "not a regular file")
        }
        #if canImport(Darwin)
            let seconds = info.st_mtimespec.tv_sec
        #else
            let seconds = info.st_mtim.tv_sec
        #endif
        return (UInt64(info.st_size), info.st_mode & 0o111 != 0, Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// The header block, preceded by a PAX extended header when the name or size does not fit ustar.
    private func header(
        name: String,
        typeflag: UInt8,
        size: UInt64,
        mode: UInt32,
        mtime: Date?,
        link: String = ""
    ) -> [UInt8] {
        let seconds = Self.seconds(mtime ?? modificationTime)
        var records: [UInt8] = []
        if name.utf8.count > 100 {
            records += TarHeader.paxRecord(key: "path", value: name)
        }
        if link.utf8.count > 100 {
            records += TarHeader.paxRecord(key: "linkpath", value: link)
        }
        if size > TarHeader.maxOctalSize {
            records += TarHeader.paxRecord(key: "size", value: String(size))
        }
        var bytes: [UInt8] = []
        if !records.isEmpty {
            let base = name.split(separator: "/").last.map(String.init) ?? "entry"
            let paxName = String(
                decoding: TarHeader.truncatedUTF8(Array("PaxHeaders.0/\(base)".utf8), maxBytes: 100),
                as: UTF8.self
            )
            let pax = TarHeader(
                name: paxName,
                mode: 0o644,
                uid: userID,
                gid: groupID,
                size: UInt64(records.count),
                mtime: seconds,
                typeflag: TarHeader.TypeFlag.paxExtended
            )
            bytes += pax.encode() + records + padding(forSize: UInt64(records.count))
        }
        let main = TarHeader(
            name: name,
            mode: mode,
            uid: userID,
            gid: groupID,
            size: size,
            mtime: seconds,
            typeflag: typeflag,
            linkname: link
        )
        return bytes + main.encode()
    }

    /// Whole seconds since 1970, clamped at zero.
    private static func seconds(_ date: Date) -> UInt64 {
        let value = date.timeIntervalSince1970
        return value <= 0 ? 0 : UInt64(value.rounded(.down))
    }
}
