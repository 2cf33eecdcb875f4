import Foundation
import TarArchive

#if canImport(Glibc)
    import Glibc
#endif

/// One attempt's `/cosmos` on the daemon's side, bind-mounted into the container on hosts with `staging = "bind"`.
///
/// It lives at `<state_dir>/staging/<job id>.<attempt>/` (the parent is mode 0700: what a container writes there,
/// setuid files included, is out of other users' reach). The daemon writes the same entries it would put as an
/// archive (``write(_:)``); after the end, `out/` goes through the same ``TarExtractor`` as an engine's archive
/// (``collectOutputs(into:)``), and the folder is removed. Its presence is what says an attempt is bound: a
/// container made before a change of `staging` is still collected the way it was staged.
///
/// The container may have replaced anything under the folder (with a link to a host path, say), so nothing the
/// daemon reads or writes there after the start follows a symbolic link.
struct StagingFolder: Sendable, Equatable {
    /// The folder's path.
    let path: String

    /// The folder of `job`'s `attempt` under `root` (`<state_dir>/staging`).
    init(root: String, job: String, attempt: Int) {
        path = root + "/" + Self.name(job: job, attempt: attempt)
    }

    /// `<job id>.<attempt>`.
    static func name(job: String, attempt: Int) -> String { "\(job).\(attempt)" }

    /// The job id and attempt a folder name stands for; nil for a name the daemon does not make.
    static func parse(_ name: String) -> (job: String, attempt: Int)? {
        guard let dot = name.lastIndex(of: "."), let attempt = Int(name[name.index(after: dot)...]), attempt >= 0
        else { return nil }
        return (String(name[..<dot]), attempt)
    }

    /// Whether the folder exists (as a directory, not a link).
    var exists: Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Makes the folder (and `root`, mode 0700) if missing, so a container can be created with it mounted.
    func create() throws {
        let root = (path as NSString).deletingLastPathComponent
        if mkdir(root, 0o700) != 0, errno != EEXIST { throw StagingError.fileSystem(root, errno) }
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw StagingError.fileSystem(path, errno) }
    }

    /// Replaces the folder's content with `sources`, archive entries named `cosmos/...` (``ContainerExecutor``'s).
    ///
    /// Directories get their mode (and their `mtime` when given, set last); small files their bytes; files on
    /// disk are copied through the descriptor their URL names, so what was checked is what is staged.
    func write(_ sources: [TarSource]) throws {
        try remove()
        try create()
        var times: [(String, Date)] = []
        for source in sources {
            switch source {
            case .directory(let name, let mode, let mtime):
                let target = try location(name)
                if target != path, mkdir(target, 0o700) != 0 { throw StagingError.fileSystem(target, errno) }
                guard chmod(target, mode_t(mode)) == 0 else { throw StagingError.fileSystem(target, errno) }
                if let mtime { times.append((target, mtime)) }
            case .bytes(let name, let contents, let mode):
                let target = try location(name)
                let fd = try Self.createFile(target)
                defer { close(fd) }
                try contents.withUnsafeBytes { raw in try Self.writeAll(fd, raw, path: target) }
                guard fchmod(fd, mode_t(mode)) == 0 else { throw StagingError.fileSystem(target, errno) }
            case .file(let name, let url, let mode):
                let target = try location(name)
                let input = open(url.path, O_RDONLY | O_CLOEXEC)
                guard input >= 0 else { throw StagingError.fileSystem(url.path, errno) }
                defer { close(input) }
                var info = stat()
                guard fstat(input, &info) == 0 else { throw StagingError.fileSystem(url.path, errno) }
                let fd = try Self.createFile(target)
                defer { close(fd) }
                try Self.copy(from: input, to: fd, path: target)
                let entryMode = mode ?? (info.st_mode & 0o111 != 0 ? 0o755 : 0o644)
                guard fchmod(fd, mode_t(entryMode)) == 0 else { throw StagingError.fileSystem(target, errno) }
            case .symbolicLink(let name, let target):
                let link = try location(name)
                guard symlink(target, link) == 0 else { throw StagingError.fileSystem(link, errno) }
            }
        }
        for (target, date) in times.reversed() {
            var spec = [timespec](repeating: timespec(tv_sec: Int(date.timeIntervalSince1970), tv_nsec: 0), count: 2)
            guard utimensat(AT_FDCWD, target, &spec, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw StagingError.fileSystem(target, errno)
            }
        }
    }

    /// Copies `out/` into `destination` through ``TarExtractor`` (its rules and limits); returns the files.
    ///
    /// An `out` that is not a directory (the container replaced it, with a link say) yields nothing.
    func collectOutputs(into destination: URL) async throws -> [String] {
        let outputs = path + "/out"
        var info = stat()
        guard lstat(outputs, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return [] }
        let sources = try TarSource.tree(at: URL(fileURLWithPath: outputs), prefix: "out")
        guard sources.count > 1 else { return [] }
        var extractor = try TarExtractor(destination: destination, stripComponents: 1)
        for try await chunk in try TarWriter().archiveChunks(sources) {
            try extractor.feed(chunk)
        }
        try extractor.finish()
        return extractor.writtenFiles.sorted()
    }

    /// Replaces the file `name` at the folder's top with `contents` in one rename (`cancel`, while the job runs).
    ///
    /// The temporary file is made with `O_EXCL | O_NOFOLLOW`, and a rename replaces a link rather than follow it.
    func replaceFile(_ name: String, contents: [UInt8]) throws {
        let temporary = path + "/.\(name).\(UInt64.random(in: 0...UInt64.max))"
        let fd = try Self.createFile(temporary)
        do {
            defer { close(fd) }
            try contents.withUnsafeBytes { raw in try Self.writeAll(fd, raw, path: temporary) }
            guard fchmod(fd, 0o644) == 0 else { throw StagingError.fileSystem(temporary, errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path + "/" + name) == 0 else {
            let code = errno
            unlink(temporary)
            throw StagingError.fileSystem(path + "/" + name, code)
        }
    }

    /// Removes the folder and everything in it (links are removed, never followed); nothing when it is gone.
    func remove() throws {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch CocoaError.fileNoSuchFile {
        } catch let error as NSError where error.domain == NSPOSIXErrorDomain && error.code == Int(ENOENT) {
        }
    }

    /// The path of archive entry `name` (`cosmos/...`) inside the folder.
    private func location(_ name: String) throws -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.first == "cosmos", !parts.contains(".."), !parts.contains(".") else {
            throw StagingError.entry(name)
        }
        return ([path] + parts.dropFirst().map(String.init)).joined(separator: "/")
    }

    private static func createFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StagingError.fileSystem(path, errno) }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw StagingError.fileSystem(path, errno) }
            offset += written
        }
    }

    /// Copies all of `input` into `output` in 1 MiB chunks.
    private static func copy(from input: Int32, to output: Int32, path: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw StagingError.fileSystem(path, errno) }
            if count == 0 { return }
            try buffer.withUnsafeBytes { raw in
                try writeAll(output, UnsafeRawBufferPointer(rebasing: raw.prefix(count)), path: path)
            }
        }
    }
}

/// Why a staging folder could not be written or read.
enum StagingError: Error, CustomStringConvertible {
    case fileSystem(String, Int32)
    case entry(String)

    var description: String {
        switch self {
        case .fileSystem(let path, let code):
            "\(path): \(String(cString: strerror(code)))"
        case .entry(let name):
            "archive entry \(name) is not under cosmos/"
        }
    }
}
