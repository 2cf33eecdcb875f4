import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Archive entries for a folder on disk, so it can go through the same extractor as an engine's archive.
extension TarSource {
    /// The entries of everything under `root`, named `<prefix>/<relative path>`, parents before children.
    ///
    /// Nothing is followed: a symbolic link becomes a link entry, and a hard link a regular file of its own.
    /// Sockets, FIFOs and devices are refused with ``TarError/unsupportedType(_:typeflag:)`` naming the entry,
    /// as ``TarExtractor`` refuses them in an archive. Entries are sorted by name within each folder.
    public static func tree(at root: URL, prefix: String) throws(TarError) -> [TarSource] {
        var sources: [TarSource] = [.directory(path: prefix, mode: 0o755)]
        try appendChildren(of: root.path, named: prefix, to: &sources)
        return sources
    }

    private static func appendChildren(of path: String, named name: String, to sources: inout [TarSource])
        throws(TarError)
    {
        let children: [String]
        do {
            children = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw .fileSystem(path, reason: "cannot list: \(error.localizedDescription)")
        }
        for child in children {
            let childPath = path + "/" + child
            let entry = name + "/" + child
            var info = stat()
            guard lstat(childPath, &info) == 0 else {
                throw .fileSystem(childPath, reason: "cannot stat: \(String(cString: strerror(errno)))")
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                sources.append(.directory(path: entry, mode: 0o755))
                try appendChildren(of: childPath, named: entry, to: &sources)
            case S_IFREG:
                sources.append(.file(path: entry, url: URL(fileURLWithPath: childPath)))
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(childPath, &buffer, buffer.count - 1)
                guard count >= 0 else {
                    throw .fileSystem(childPath, reason: "cannot read link: \(String(cString: strerror(errno)))")
                }
                let target = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                sources.append(.symbolicLink(path: entry, target: target))
            case S_IFCHR:
                throw .unsupportedType(entry, typeflag: TarHeader.TypeFlag.characterDevice)
            case S_IFBLK:
                throw .unsupportedType(entry, typeflag: TarHeader.TypeFlag.blockDevice)
            default:
                // FIFOs and sockets (tar has no type for a socket; report it as a FIFO).
                throw .unsupportedType(entry, typeflag: TarHeader.TypeFlag.fifo)
            }
        }
    }
}
