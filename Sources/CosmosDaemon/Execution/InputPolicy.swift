import CosmosDomain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who asks to stage a file: a uid and every group it is in.
struct CallerIdentity: Sendable, Equatable {
    var uid: UInt32
    var groups: Set<UInt32>

    /// The groups of a connected peer: its gid from SO_PEERCRED plus the supplementary groups its process
    /// holds (`/proc/PID/status`), or, if that is not readable, those the group database gives its user.
    static func peer(uid: UInt32, gid: UInt32, pid: Int32) -> CallerIdentity {
        var groups: Set<UInt32> = [gid]
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Groups:") }),
            let uidLine = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
            uidLine.split(whereSeparator: \.isWhitespace).dropFirst().first == Substring(String(uid))
        {
            groups.formUnion(
                line.dropFirst("Groups:".count).split(whereSeparator: \.isWhitespace).compactMap { UInt32($0) }
            )
        } else {
            groups.formUnion(lookup(uid: uid).groups)
        }
        return CallerIdentity(uid: uid, groups: groups)
    }

    /// A user's groups from the password and group databases (for checks made on the user's behalf later).
    static func lookup(uid: UInt32) -> CallerIdentity {
        guard let user = AccessPolicy.passwordEntry(uid: uid) else { return CallerIdentity(uid: uid, groups: []) }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user.name, user.gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(user.name, user.gid, &groups, &count)
        }
        return CallerIdentity(uid: uid, groups: Set(groups.prefix(Int(max(0, count)))).union([user.gid]))
    }
}

/// Decides whether a caller may stage a file as a job input (`[inputs]` in the configuration).
///
/// A file is accepted when, after resolving every link, it is a regular file under one of `allow_roots`,
/// no larger than `max_size_gib`, and the caller could read it themselves: search permission on every
/// folder above it and read permission on the file, by owner, group and other bits (ACLs are not read).
struct InputPolicy: Sendable {
    let settings: InputSettings

    /// An input that passed: the path the user gave and the file it resolves to.
    struct CheckedInput: Sendable, Equatable {
        var path: String
        var resolved: String
        var size: Int64
        /// The checked file's device and inode: what is opened later must be this very file.
        var device: UInt64 = 0
        var inode: UInt64 = 0
    }

    /// Checks every file input; throws naming `inputs[i]`. A `job:` input is another job's output: the
    /// daemon wrote it, and the submit checks that job instead.
    func check(_ paths: [String], caller: CallerIdentity) throws {
        for (index, path) in paths.enumerated() where JobInput(parsing: path) == nil {
            do {
                _ = try check(path, caller: caller)
            } catch {
                throw SpecError(field: "inputs[\(index)]", reason: error.reason)
            }
        }
    }

    /// Checks one input for `caller`.
    func check(_ path: String, caller: CallerIdentity) throws(SpecError) -> CheckedInput {
        guard !settings.allowRoots.isEmpty else {
            throw SpecError(field: "inputs", reason: "this daemon stages no inputs: [inputs] allow_roots is empty")
        }
        guard let resolved = Self.realPath(path) else {
            throw SpecError(field: "inputs", reason: "\(path) does not exist")
        }
        let roots = settings.allowRoots.compactMap(Self.realPath)
        guard roots.contains(where: { resolved == $0 || resolved.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
            throw SpecError(
                field: "inputs",
                reason: "\(path) is outside the allowed roots (\(settings.allowRoots.joined(separator: ", ")))"
            )
        }
        var info = stat()
        guard stat(resolved, &info) == 0 else {
            throw SpecError(field: "inputs", reason: "\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        // Readability first: a file the caller may not read says nothing of its type or size.
        guard Self.mayRead(resolved, file: info, caller: caller) else {
            throw SpecError(field: "inputs", reason: "\(path) is not readable by uid \(caller.uid)")
        }
        let type = info.st_mode & S_IFMT
        guard type != S_IFDIR else { throw SpecError(field: "inputs", reason: "\(path) is a directory, not a file") }
        guard type == S_IFREG else { throw SpecError(field: "inputs", reason: "\(path) is not a regular file") }
        guard Int64(info.st_size) <= settings.maxBytes else {
            throw SpecError(
                field: "inputs",
                reason: "\(path) is \(info.st_size) bytes, over the limit of \(settings.maxBytes) "
                    + "([inputs] max_size_gib)"
            )
        }
        return CheckedInput(
            path: path,
            resolved: resolved,
            size: Int64(info.st_size),
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino)
        )
    }

    /// `realpath(3)`: the path with every link and `.`/`..` resolved, nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Whether `caller` may search every folder above `path` and read the file itself.
    static func mayRead(_ path: String, file: stat, caller: CallerIdentity) -> Bool {
        if caller.uid == 0 { return true }
        var folder = (path as NSString).deletingLastPathComponent
        while true {
            var info = stat()
            guard stat(folder, &info) == 0, allows(info, bits: 0o1, caller: caller) else { return false }
            if folder == "/" || folder.isEmpty { break }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return allows(file, bits: 0o4, caller: caller)
    }

    /// Classic permission bits: the owner's if the caller owns it, else the group's if in its group, else other's.
    static func allows(_ info: stat, bits: mode_t, caller: CallerIdentity) -> Bool {
        let mode = info.st_mode
        if info.st_uid == caller.uid { return mode & (bits << 6) != 0 }
        if caller.groups.contains(info.st_gid) { return mode & (bits << 3) != 0 }
        return mode & bits != 0
    }
}
