import CosmosStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Decides whether a caller may perform an action: the one place access rules live.
///
/// Every command asks it before touching the store, and every query asks it what the caller may see.
/// - Root, the daemon's own user (the maintenance timer runs as it), and every member of `[access] admin_group`
///   are admins.
/// - Every socket user may submit and read; with `[access] private` a non-admin reads only their own work.
/// - A job or batch may be changed by its owner or an admin.
/// - The queue-wide switches (pause, resume, smart batching, host drain and resume, maintenance) are for admins.
/// - A move that puts a job ahead of another user's queued job is for admins.
struct AccessPolicy: Sendable {
    /// The settings in force; read at every decision, so a reload applies at once.
    let settings: @Sendable () -> AccessSettings
    /// Resolves a group name to its gid; nil when the group does not exist.
    let groupID: @Sendable (String) -> UInt32?
    /// The daemon's own uid: a caller running as it could open the database itself, so it is an admin.
    let daemonUID: UInt32

    init(
        settings: @escaping @Sendable () -> AccessSettings,
        groupID: @escaping @Sendable (String) -> UInt32? = AccessPolicy.systemGroupID,
        daemonUID: UInt32 = geteuid()
    ) {
        self.settings = settings
        self.groupID = groupID
        self.daemonUID = daemonUID
    }

    /// What a caller asks to do.
    enum Action: Sendable {
        /// Submit jobs or batches.
        case submit
        /// Change one job (cancel, hold, release, retry, move, priority) or follow its logs.
        case changeJob(JobRecord, verb: String)
        /// Change one named batch.
        case changeBatch(BatchRecord, verb: String)
        /// Queue-wide switches: pause, resume, smart batching, host drain and resume.
        case operate(verb: String)
        /// Move `job` ahead of queued jobs owned by `owners` (the mover's own jobs left out).
        case pass(job: String, owners: Set<Int>, verb: String)
        /// Read a view that lists every user's jobs (the smart-batch plan and report): with `private`, admins only.
        case readEveryones(verb: String)
    }

    /// Whether `caller` is an admin: root, the daemon's own user, or a member of the admin group.
    func isAdmin(_ caller: CallerIdentity) -> Bool {
        if caller.uid == 0 || caller.uid == daemonUID { return true }
        guard let gid = groupID(settings().adminGroup) else { return false }
        return caller.groups.contains(gid)
    }

    /// Throws ``AccessDenied`` when `caller` may not perform `action`.
    func authorize(_ action: Action, by caller: PeerCredentials) throws(AccessDenied) {
        try authorize(action, by: caller.identity)
    }

    /// Throws ``AccessDenied`` when `identity` may not perform `action`.
    func authorize(_ action: Action, by identity: CallerIdentity) throws(AccessDenied) {
        switch action {
        case .submit:
            return
        case .changeJob(let job, let verb):
            guard job.ownerUid != Int(identity.uid), !isAdmin(identity) else { return }
            throw AccessDenied(
                "job \(job.id) belongs to uid \(job.ownerUid): only its owner or an admin \(adminsText) may \(verb) it"
            )
        case .changeBatch(let batch, let verb):
            guard batch.ownerUid != Int(identity.uid), !isAdmin(identity) else { return }
            throw AccessDenied(
                "batch \(batch.id) belongs to uid \(batch.ownerUid): only its owner or an admin \(adminsText) "
                    + "may \(verb) it"
            )
        case .operate(let verb):
            guard !isAdmin(identity) else { return }
            throw AccessDenied(
                "\(verb) is for admins: root or a member of \(groupText) (uid \(identity.uid) is neither)"
            )
        case .readEveryones(let verb):
            guard settings().privateData, !isAdmin(identity) else { return }
            throw AccessDenied(
                "\(verb) lists every user's jobs: with [access] private it is for admins, root or a member of "
                    + "\(groupText) (uid \(identity.uid) is neither)"
            )
        case .pass(let job, let owners, let verb):
            let others = owners.subtracting([Int(identity.uid)])
            guard !others.isEmpty, !isAdmin(identity) else { return }
            let uids = others.sorted().map { "uid \($0)" }.joined(separator: ", ")
            throw AccessDenied(
                "\(verb) would put job \(job) ahead of jobs of \(uids): only an admin \(adminsText) may pass "
                    + "other users' jobs; move it among your own jobs, or ask an admin"
            )
        }
    }

    /// Whether `identity` may see work owned by `ownerUID`: always, unless `[access] private` hides it.
    func maySee(ownerUID: Int, _ identity: CallerIdentity) -> Bool {
        !settings().privateData || ownerUID == Int(identity.uid) || isAdmin(identity)
    }

    /// The uids whose work `identity` sees; nil means everyone's.
    func visibleOwners(_ identity: CallerIdentity) -> Int? {
        maySee(ownerUID: -1, identity) ? nil : Int(identity.uid)
    }

    /// `group cosmos-admin`, as refusals name it.
    private var groupText: String { "group \(settings().adminGroup)" }

    /// `(group cosmos-admin)`, as refusals name it (root is always an admin too).
    private var adminsText: String { "(\(groupText))" }

    /// The gid of a group from the group database (`getgrnam_r`), nil when there is no such group.
    @Sendable static func systemGroupID(_ name: String) -> UInt32? {
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }

    /// A user's entry in the password database, by uid (`getpwuid_r`) or by name (`getpwnam_r`); nil when there
    /// is no such user.
    static func passwordEntry(uid: UInt32? = nil, name: String? = nil) -> (name: String, uid: UInt32, gid: UInt32)? {
        var password = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status =
            if let uid { getpwuid_r(uid, &password, &buffer, buffer.count, &result) } else {
                getpwnam_r(name ?? "", &password, &buffer, buffer.count, &result)
            }
        guard status == 0, result != nil, let entryName = password.pw_name else { return nil }
        return (String(cString: entryName), password.pw_uid, password.pw_gid)
    }

    /// A user's name, nil when there is no such user.
    static func userName(uid: UInt32) -> String? { passwordEntry(uid: uid)?.name }

    /// A user's primary group, nil when there is no such user.
    static func primaryGroup(uid: UInt32) -> UInt32? { passwordEntry(uid: uid)?.gid }

    /// A user's uid, nil when there is no such user.
    static func userID(name: String) -> UInt32? { passwordEntry(name: name)?.uid }
}
