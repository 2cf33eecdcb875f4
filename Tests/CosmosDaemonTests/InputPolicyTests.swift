import CosmosDomain
import Foundation
import Testing

@testable import CosmosDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// Input checks against real files: roots after resolving links, type, size, and the caller's permissions.
@Suite("Input policy")
struct InputPolicyTests {
    let root: String
    let outside: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-inputs-\(UUID())").path
        root = base + "/allowed"
        outside = base + "/outside"
        for folder in [root, outside, root + "/private", root + "/shared"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        chmod(base, 0o755)
        chmod(root, 0o755)
        chmod(outside, 0o755)
        chmod(root + "/shared", 0o755)
        try write(root + "/clip.mp4", mode: 0o644)
        try write(root + "/secret.bin", mode: 0o600)
        try write(root + "/group.bin", mode: 0o640, group: 4242)
        try write(root + "/shared/mine.bin", mode: 0o600, owner: 1000)
        try write(root + "/private/visible.bin", mode: 0o644)
        chmod(root + "/private", 0o700)
        try write(outside + "/other.bin", mode: 0o644)
        try write(root + "/big.bin", mode: 0o644, size: 2048)
        try write(root + "/big-secret.bin", mode: 0o600, size: 2048)
        symlink(outside + "/other.bin", root + "/escape.bin")
        symlink(root + "/clip.mp4", outside + "/link-in.mp4")
    }

    func write(_ path: String, mode: mode_t, owner: uid_t = 0, group: gid_t = 0, size: Int = 16) throws {
        try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        chown(path, owner, group)
    }

    var policy: InputPolicy { InputPolicy(settings: InputSettings(allowRoots: [root], maxBytes: 1024)) }
    let alice = CallerIdentity(uid: 1000, groups: [1000])

    func reason(_ path: String, _ caller: CallerIdentity) -> String? {
        do {
            _ = try policy.check(path, caller: caller)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test("a readable file under a root passes; links are resolved before the root check")
    func accepted() throws {
        #expect(reason(root + "/clip.mp4", alice) == nil)
        let checked = try policy.check(outside + "/link-in.mp4", caller: alice)
        #expect(checked.resolved == InputPolicy.realPath(root + "/clip.mp4"))
        #expect(reason(root + "/shared/mine.bin", alice) == nil)
        #expect(reason(root + "/group.bin", CallerIdentity(uid: 1000, groups: [1000, 4242])) == nil)
    }

    @Test(
        "refusals name the reason",
        arguments: [
            ("/missing.mp4", "does not exist"),
            ("/shared", "is a directory"),
            ("/private", "is not readable by uid 1000"),
            ("/big.bin", "over the limit of 1024"),
            ("/escape.bin", "is outside the allowed roots"),
            ("/secret.bin", "is not readable by uid 1000"),
            ("/group.bin", "is not readable by uid 1000"),
            ("/private/visible.bin", "is not readable by uid 1000"),
            // Unreadable first: its size is not the caller's to learn.
            ("/big-secret.bin", "is not readable by uid 1000"),
        ]
    )
    func refused(suffix: String, expected: String) {
        let text = reason(root + suffix, alice)
        #expect(text?.contains(expected) == true, "\(suffix): \(text ?? "accepted")")
    }

    @Test("root may read anything under a root, but never outside the roots")
    func rootCaller() {
        let superuser = CallerIdentity(uid: 0, groups: [0])
        #expect(reason(root + "/secret.bin", superuser) == nil)
        #expect(reason(outside + "/other.bin", superuser)?.contains("outside the allowed roots") == true)
    }

    @Test("no allow_roots: no inputs at all; the error names the setting")
    func noRoots() {
        let closed = InputPolicy(settings: InputSettings())
        #expect {
            try closed.check([root + "/clip.mp4"], caller: alice)
        } throws: { error in
            (error as? SpecError)?.field == "inputs[0]" && "\(error)".contains("allow_roots")
        }
    }

    @Test("the staged file is opened through a descriptor that names the checked file")
    func openChecked() throws {
        let fd = try ContainerExecutor.openChecked(root + "/clip.mp4", policy: policy, owner: alice)
        defer { close(fd) }
        var info = stat()
        #expect(fstat(fd, &info) == 0 && info.st_size == 16)
        #expect(throws: ExecutorError.self) {
            try ContainerExecutor.openChecked(root + "/secret.bin", policy: policy, owner: alice)
        }
    }
}
