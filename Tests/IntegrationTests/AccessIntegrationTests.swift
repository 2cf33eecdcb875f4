import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Who may do what, on the real daemon with real uids: cosmosctl runs under `setpriv` as root, an admin-group
/// member, a job's owner and another user, over a socket that only group `users` may open.
@Suite("Access control", .serialized)
struct AccessIntegrationTests {
    /// A caller: a uid and its supplementary groups (Debian's `users` is 100, `staff` 50).
    struct User: CustomStringConvertible {
        let name: String
        let uid: UInt32
        let groups: [UInt32]
        var description: String { name }

        static let root = User(name: "root", uid: 0, groups: [])
        /// In the admin group (`staff` here) and the socket's group.
        static let admin = User(name: "admin", uid: 2001, groups: [100, 50])
        static let owner = User(name: "owner", uid: 1001, groups: [100])
        static let other = User(name: "other", uid: 1002, groups: [100])
        /// Not in the socket's group.
        static let outsider = User(name: "outsider", uid: 1003, groups: [])
    }

    /// A daemon whose socket belongs to group `users`, with `staff` as the admin group.
    func harness(private hidden: Bool = false) throws -> DaemonHarness {
        try DaemonHarness(
            daemonExtra: "socket_group = \"users\"",
            extra: "\n[access]\nadmin_group = \"staff\"\nprivate = \(hidden)\n"
        )
    }

    /// Runs cosmosctl as `user`, from a copy in the daemon's folder that every uid can run.
    func ctl(_ daemon: DaemonHarness, _ user: User, _ arguments: [String], stdin: String? = nil) -> DaemonHarness.Result
    {
        guard user.uid != 0 else { return daemon.ctl(arguments, stdin: stdin) }
        let copy = daemon.directory.path + "/cosmosctl"
        if !FileManager.default.fileExists(atPath: copy) {
            try? FileManager.default.copyItem(atPath: DaemonHarness.binDirectory + "/cosmosctl", toPath: copy)
            chmod(copy, 0o755)
            chmod(daemon.directory.path, 0o755)
        }
        let groups =
            user.groups.isEmpty
            ? ["--clear-groups"] : ["--groups=" + user.groups.map(String.init).joined(separator: ",")]
        return DaemonHarness.run(
            "/usr/bin/setpriv",
            ["--reuid=\(user.uid)", "--regid=\(user.uid)"] + groups + [copy, "--socket", daemon.socket] + arguments,
            stdin: stdin
        )
    }

    /// Submits one busybox job as `user`; returns its id.
    func submit(_ daemon: DaemonHarness, _ user: User, name: String) throws -> String {
        let result = ctl(
            daemon,
            user,
            ["submit", "--json", "--file", "-"],
            stdin: #"{"name": "\#(name)", "image": "cosmos-test/busybox:latest", "command": ["true"]}"#
        )
        guard result.status == 0 else { throw HarnessError.command("submit as \(user)", result.status, result.stderr) }
        return try JSONDecoder().decode([JobView].self, from: Data(result.stdout.utf8))[0].id
    }

    /// What a refusal must leave alone: every job's id, state, priority and position, and the queue's switch.
    func snapshot(_ daemon: DaemonHarness) throws -> String {
        let jobs = try daemon.ctlJSON([JobView].self, ["list"]).map {
            "\($0.id) \($0.state) \($0.priority) \($0.position.map(String.init) ?? "-")"
        }
        let status = try daemon.ctlJSON(StatusView.self, ["status"])
        let hosts = try daemon.ctlJSON([HostView].self, ["hosts"]).map { "\($0.name) \($0.state)" }
        return (jobs + hosts + ["paused \(status.paused)"]).joined(separator: "\n")
    }

    /// One verb of the matrix: the command, how root undoes it, and whether an owner may do it.
    struct Verb {
        let arguments: [String]
        let undo: [[String]]
        let prepare: [[String]]
        let ownerMay: Bool
    }

    @Test("the authorization matrix: root, admin, owner and another user against every verb")
    func matrix() throws {
        try run(try harness()) { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let job = try submit(daemon, .owner, name: "owned")
            let verbs: [Verb] = [
                Verb(arguments: ["hold", job], undo: [["release", job]], prepare: [], ownerMay: true),
                Verb(arguments: ["release", job], undo: [], prepare: [["hold", job]], ownerMay: true),
                Verb(arguments: ["priority", job, "5"], undo: [["priority", job, "0"]], prepare: [], ownerMay: true),
                Verb(arguments: ["move", job, "--bottom"], undo: [], prepare: [], ownerMay: true),
                Verb(arguments: ["cancel", job], undo: [["retry", job]], prepare: [], ownerMay: true),
                Verb(arguments: ["retry", job], undo: [], prepare: [["cancel", job]], ownerMay: true),
                Verb(arguments: ["resume"], undo: [["pause"]], prepare: [["hold", job]], ownerMay: false),
                Verb(arguments: ["pause"], undo: [], prepare: [["hold", job], ["resume"]], ownerMay: false),
                Verb(
                    arguments: ["hosts", "drain", "local"],
                    undo: [["hosts", "resume", "local"]],
                    prepare: [],
                    ownerMay: false
                ),
                Verb(
                    arguments: ["hosts", "resume", "local"],
                    undo: [],
                    prepare: [["hosts", "drain", "local"]],
                    ownerMay: false
                ),
                Verb(
                    arguments: ["smart-batch", "analyze"],
                    undo: [["smart-batch", "discard"]],
                    prepare: [],
                    ownerMay: false
                ),
            ]
            for verb in verbs {
                for user in [User.other, .owner, .admin, .root] {
                    for step in verb.prepare {
                        let prepared = daemon.ctl(step)
                        #expect(prepared.status == 0, "prepare \(step): \(prepared.stderr)")
                    }
                    let allowed =
                        user.uid == 0 || user.uid == User.admin.uid || (user.uid == User.owner.uid && verb.ownerMay)
                    let before = try snapshot(daemon)
                    let result = ctl(daemon, user, verb.arguments)
                    if allowed {
                        #expect(result.status == 0, "\(user) \(verb.arguments): \(result.stderr)")
                    } else {
                        #expect(result.status == 4, "\(user) \(verb.arguments): exit \(result.status) \(result.stderr)")
                        #expect(try snapshot(daemon) == before, "\(user) \(verb.arguments) changed the queue")
                        let who =
                            verb.ownerMay
                            ? "belongs to uid 1001: only its owner or an admin (group staff) may"
                            : "is for admins: root or a member of group staff (uid \(user.uid) is neither)"
                        #expect(result.stderr.contains(who), "\(user) \(verb.arguments): \(result.stderr)")
                    }
                    for step in verb.undo where allowed {
                        let undone = daemon.ctl(step)
                        #expect(undone.status == 0, "undo \(step): \(undone.stderr)")
                    }
                    // Back to the starting point: the queue paused (first, so nothing starts), the job queued.
                    _ = daemon.ctl(["pause"])
                    if try daemon.show(job).state == .held { _ = daemon.ctl(["release", job]) }
                    if try daemon.show(job).state == .cancelled { _ = daemon.ctl(["retry", job]) }
                    _ = daemon.ctl(["hosts", "resume", "local"])
                }
            }
            // A named batch: another user may not cancel it; its owner may.
            let created = ctl(
                daemon,
                .owner,
                ["batch", "create", "shots", "--json", "--file", "-"],
                stdin: #"{"image": "cosmos-test/busybox:latest", "command": ["true"]}"#
            )
            let batch = try JSONDecoder().decode(BatchView.self, from: Data(created.stdout.utf8))
            let before = try snapshot(daemon)
            let refused = ctl(daemon, .other, ["batch", "cancel", batch.id])
            #expect(refused.status == 4 && refused.stderr.contains("batch \(batch.id) belongs to uid 1001"))
            #expect(try snapshot(daemon) == before)
            // The rest of the verbs, refused to another user with the queue unchanged: batch changes, following
            // another user's log, and the admin verbs not in the table above.
            let unchanged = try snapshot(daemon)
            for arguments in [
                ["batch", "pause", batch.id], ["batch", "resume", batch.id], ["batch", "retry-failed", batch.id],
                ["batch", "move", batch.id, "--top"], ["batch", "delete", batch.id], ["logs", "--follow", job],
                ["smart-batch", "execute", "--yes"], ["smart-batch", "discard"], ["maintenance", "run", "--check"],
            ] {
                let result = ctl(daemon, .other, arguments)
                #expect(result.status == 4, "other \(arguments): exit \(result.status) \(result.stderr)")
                #expect(try snapshot(daemon) == unchanged, "other \(arguments) changed the queue")
            }
            #expect(ctl(daemon, .owner, ["batch", "cancel", batch.id]).status == 0)
            // Everyone in the socket's group may submit and read; someone outside it cannot even connect.
            #expect(ctl(daemon, .other, ["list"]).status == 0)
            #expect(ctl(daemon, .other, ["show", job]).status == 0)
            let outside = ctl(daemon, .outsider, ["list"])
            #expect(outside.status != 0 && outside.stderr.contains("cannot reach"), "\(outside.stderr)")
            var info = stat()
            #expect(stat(daemon.socket, &info) == 0 && info.st_gid == 100 && info.st_mode & 0o777 == 0o660)
            // Every refusal is in the audit log with who asked.
            let log = daemon.daemonLog()
            #expect(
                log.contains("AUDIT=1") && log.contains("CALLER_UID=1002") && log.contains("RESULT=refused: job \(job)")
            )
            #expect(log.contains("ACTION=pause") && log.contains("RESULT=ok"))
        }
    }

    @Test("moving among your own jobs is allowed; passing another user's job needs an admin")
    func moves() throws {
        try run(try harness()) { daemon in
            #expect(daemon.ctl(["pause"]).status == 0)
            let first = try submit(daemon, .owner, name: "first")
            let theirs = try submit(daemon, .other, name: "theirs")
            let second = try submit(daemon, .owner, name: "second")
            let third = try submit(daemon, .owner, name: "third")
            // Among their own: third before second passes only their own job.
            #expect(ctl(daemon, .owner, ["move", third, "--before", second]).status == 0)
            let before = try snapshot(daemon)
            let refused = ctl(daemon, .owner, ["move", third, "--top"])
            #expect(refused.status == 4)
            #expect(
                refused.stderr.contains("ahead of jobs of uid 1002: only an admin (group staff) may pass"),
                "\(refused.stderr)"
            )
            #expect(try snapshot(daemon) == before)
            // Moving back past another user's job is fine: it puts nobody behind.
            #expect(ctl(daemon, .owner, ["move", first, "--bottom"]).status == 0)
            #expect(ctl(daemon, .admin, ["move", first, "--top"]).status == 0)
            let order = try daemon.ctlJSON([JobView].self, ["list"]).map(\.id)
            #expect(order == [first, theirs, third, second])
        }
    }

    @Test("private: another user's list, show, logs and events reveal nothing of the hidden job")
    func privateMode() throws {
        try run(try harness(private: true)) { daemon in
            let hidden = try submit(daemon, .owner, name: "secret-shot")
            let visible = try submit(daemon, .other, name: "their-shot")
            _ = try daemon.waitFinished([hidden, visible])
            let list = ctl(daemon, .other, ["list", "--json"])
            #expect(list.status == 0 && list.stdout.contains(visible))
            #expect(!list.stdout.contains(hidden) && !list.stdout.contains("secret-shot"))
            for arguments in [["show", hidden], ["logs", hidden]] {
                let result = ctl(daemon, .other, arguments)
                #expect(result.status != 0 && !result.stdout.contains("secret-shot"), "\(arguments): \(result.stdout)")
                #expect(result.stderr.contains("no job with id \(hidden)"), "\(arguments): \(result.stderr)")
            }
            let events = ctl(daemon, .other, ["events", "--json"])
            #expect(events.status == 0 && events.stdout.contains(visible), "\(events.stderr)")
            #expect(!events.stdout.contains(hidden), "\(events.stdout)")
            // The smart-batch plan lists everyone's jobs: for admins only in private mode.
            #expect(ctl(daemon, .other, ["smart-batch", "preview"]).status == 4)
            // The owner and an admin still see it.
            #expect(ctl(daemon, .owner, ["show", hidden]).status == 0)
            #expect(ctl(daemon, .admin, ["events", "--json"]).stdout.contains(hidden))
        }
    }
}
