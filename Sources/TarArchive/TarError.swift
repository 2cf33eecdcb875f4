/// Why a tar archive could not be written or extracted, naming the entry involved.
///
/// Entry paths are the names as they appear in the archive (after PAX / GNU long-name records are applied,
/// before any leading components are stripped).
public enum TarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The entry's path is absolute, contains `..`, is empty, or would be written through a symbolic link.
    case unsafePath(String, reason: String)
    /// The entry is of a type the extractor does not create (device, FIFO, sparse file, …).
    case unsupportedType(String, typeflag: UInt8)
    /// A symbolic or hard link's target is absolute or resolves outside the destination directory.
    case linkEscapes(String, target: String)
    /// A link's target is refused for another reason (empty, `..` after a name, hard link to a missing file).
    case unsafeLink(String, target: String, reason: String)
    /// The entry would bring the total of regular file bytes (or an extended header) over the limit.
    case tooLarge(String, bytes: UInt64, limit: UInt64)
    /// The archive holds more entries than allowed; names the first entry over the limit.
    case tooManyEntries(String, limit: Int)
    /// The entry conflicts with what is already on disk (a file where a directory is needed, or the reverse).
    case conflict(String, reason: String)
    /// The archive is malformed: bad checksum, bad number field, bad PAX record, …
    case corrupt(String)
    /// The archive ended in the middle of a header or an entry's data, or before its end-of-archive marker.
    case truncated
    /// A file system operation failed while extracting (or reading a source file while writing).
    case fileSystem(String, reason: String)
    /// A source file changed size while it was being archived.
    case sourceChanged(String, reason: String)

    /// A one-line message naming the entry and what is wrong with it.
    public var description: String {
        switch self {
        case .unsafePath(let path, let reason):
            return "tar entry '\(path)': unsafe path: \(reason)"
        case .unsupportedType(let path, let typeflag):
            return "tar entry '\(path)': unsupported entry type \(TarError.describe(typeflag: typeflag))"
        case .linkEscapes(let path, let target):
            return "tar entry '\(path)': link target '\(target)' points outside the destination"
        case .unsafeLink(let path, let target, let reason):
            return "tar entry '\(path)': link target '\(target)' refused: \(reason)"
        case .tooLarge(let path, let bytes, let limit):
            return "tar entry '\(path)': size limit exceeded (\(bytes) bytes > limit of \(limit) bytes)"
        case .tooManyEntries(let path, let limit):
            return "tar entry '\(path)': archive has more than \(limit) entries"
        case .conflict(let path, let reason):
            return "tar entry '\(path)': \(reason)"
        case .corrupt(let reason):
            return "corrupt tar archive: \(reason)"
        case .truncated:
            return "truncated tar archive"
        case .fileSystem(let path, let reason):
            return "'\(path)': \(reason)"
        case .sourceChanged(let path, let reason):
            return "'\(path)' changed while being archived: \(reason)"
        }
    }

    /// `'3' (character device)` for a typeflag byte.
    static func describe(typeflag: UInt8) -> String {
        let name: String
        switch typeflag {
        case UInt8(ascii: "3"): name = "character device"
        case UInt8(ascii: "4"): name = "block device"
        case UInt8(ascii: "6"): name = "FIFO"
        case UInt8(ascii: "S"): name = "GNU sparse file"
        case UInt8(ascii: "V"): name = "GNU volume header"
        case UInt8(ascii: "M"): name = "GNU multi-volume continuation"
        case UInt8(ascii: "D"): name = "GNU dump directory"
        default: name = "unknown"
        }
        if typeflag >= 0x20 && typeflag < 0x7f {
            return "'\(Character(Unicode.Scalar(typeflag)))' (\(name))"
        }
        return "0x\(String(typeflag, radix: 16)) (\(name))"
    }
}
