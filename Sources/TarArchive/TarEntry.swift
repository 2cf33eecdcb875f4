/// An entry of a small in-memory archive built with ``TarWriter/archive(_:)``.
public enum TarEntry: Equatable, Sendable {
    /// A directory; `path` may end in `/` or not.
    case directory(path: String, mode: UInt32 = 0o755)
    /// A regular file whose whole content is given.
    case file(path: String, contents: [UInt8], mode: UInt32 = 0o644)
}
