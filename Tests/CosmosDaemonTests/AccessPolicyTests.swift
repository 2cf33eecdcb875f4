import CosmosDomain
import Foundation
import Testing

@testable import CosmosDaemon
@testable import CosmosStore

/// The access rules on their own: who is an admin, who may change a job or a batch, queue-wide switches, moves
/// that pass other users' jobs, and what `[access] private` hides.
@Suite("Access policy")
struct AccessPolicyTests {
    static let adminGID: UInt32 = 4242
    static let root = CallerIdentity(uid: 0, groups: [0])
    static let admin = CallerIdentity(uid: 2001, groups: [2001, adminGID])
    static let owner = CallerIdentity(uid: 1001, groups: [1001, 100])
    static let other = CallerIdentity(uid: 1002, groups: [1002, 100])

    func policy(_ settings: AccessSettings = AccessSettings(), groupExists: Bool = true) -> AccessPolicy {
        AccessPolicy(
            settings: { settings },
            groupID: { $0 == settings.adminGroup && groupExists ? Self.adminGID : nil },
            daemonUID: 999
        )
    }

    func job(owner: Int = 1001) -> JobRecord {
        JobRecord(
            id: "k3x9q2mz7a",
            kind: .inference,
            image: "img",
            spec: JobSpec(image: "img"),
            gpus: 1,
            ownerUid: owner,
            createdAt: Date()
        )
    }

    /// The refusal's message, nil when `body` is allowed.
    func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let denied as AccessDenied {
            return denied.message
        } catch {
            return "not a refusal: \(error)"
        }
    }

    @Test("root, the daemon's user and the admin group's members are admins; nobody else, nor them when it is missing")
    func admins() {
        #expect(policy().isAdmin(Self.root) && policy().isAdmin(Self.admin))
        #expect(!policy().isAdmin(Self.owner) && !policy().isAdmin(Self.other))
        #expect(policy(groupExists: false).isAdmin(Self.root))
        #expect(!policy(groupExists: false).isAdmin(Self.admin))
        // The daemon's own user (the maintenance timer runs as it) is one too.
        #expect(policy(groupExists: false).isAdmin(CallerIdentity(uid: 999, groups: [999])))
    }

    @Test("a job's owner and admins may change it; another user is refused with who may")
    func changeJob() {
        let access = policy()
        for caller in [Self.root, Self.admin, Self.owner] {
            #expect(refusal { try access.authorize(.changeJob(job(), verb: "cancel"), by: caller) } == nil)
        }
        #expect(
            refusal { try access.authorize(.changeJob(job(), verb: "cancel"), by: Self.other) }
                == "job k3x9q2mz7a belongs to uid 1001: only its owner or an admin (group cosmos-admin) may cancel it"
        )
    }

    @Test("a batch's owner and admins may change it")
    func changeBatch() {
        let access = policy()
        let batch = BatchRecord(id: "b3x9q2mz7a", name: "shots", ownerUid: 1001, now: Date())
        #expect(refusal { try access.authorize(.changeBatch(batch, verb: "pause"), by: Self.owner) } == nil)
        #expect(refusal { try access.authorize(.changeBatch(batch, verb: "pause"), by: Self.admin) } == nil)
        let message = refusal { try access.authorize(.changeBatch(batch, verb: "pause"), by: Self.other) }
        #expect(message?.hasPrefix("batch b3x9q2mz7a belongs to uid 1001: only its owner or an admin") == true)
    }

    @Test("queue-wide switches are for admins only; the refusal names the configured group")
    func operate() {
        let access = policy(
            {
                var settings = AccessSettings()
                settings.adminGroup = "gpu-admins"
                return settings
            }()
        )
        #expect(refusal { try access.authorize(.operate(verb: "pause"), by: Self.root) } == nil)
        #expect(refusal { try access.authorize(.operate(verb: "pause"), by: Self.admin) } == nil)
        #expect(
            refusal { try access.authorize(.operate(verb: "pause"), by: Self.owner) }
                == "pause is for admins: root or a member of group gpu-admins (uid 1001 is neither)"
        )
    }

    @Test("everyone may submit")
    func submit() {
        #expect(refusal { try policy().authorize(.submit, by: Self.other) } == nil)
    }

    @Test("passing only your own jobs is allowed; passing another user's is for admins")
    func pass() {
        let access = policy()
        #expect(refusal { try access.authorize(.pass(job: "a", owners: [], verb: "moving it"), by: Self.owner) } == nil)
        #expect(
            refusal { try access.authorize(.pass(job: "a", owners: [1001], verb: "moving it"), by: Self.owner) } == nil
        )
        let message = refusal {
            try access.authorize(.pass(job: "a", owners: [1001, 1003, 1002], verb: "moving it"), by: Self.owner)
        }
        #expect(message?.hasPrefix("moving it would put job a ahead of jobs of uid 1002, uid 1003") == true)
        #expect(
            refusal { try access.authorize(.pass(job: "a", owners: [1002], verb: "moving it"), by: Self.admin) } == nil
        )
    }

    @Test("private hides other users' work from non-admins only; without it everyone sees everything")
    func privateData() {
        var settings = AccessSettings()
        #expect(policy(settings).maySee(ownerUID: 1001, Self.other))
        #expect(policy(settings).visibleOwners(Self.other) == nil)
        settings.privateData = true
        let access = policy(settings)
        #expect(access.maySee(ownerUID: 1001, Self.owner) && !access.maySee(ownerUID: 1001, Self.other))
        #expect(access.maySee(ownerUID: 1001, Self.admin) && access.maySee(ownerUID: 1001, Self.root))
        #expect(access.visibleOwners(Self.other) == 1002 && access.visibleOwners(Self.admin) == nil)
        // Views of everyone's jobs (the smart-batch plan) are then for admins.
        #expect(refusal { try access.authorize(.readEveryones(verb: "smart-batch preview"), by: Self.admin) } == nil)
        #expect(refusal { try access.authorize(.readEveryones(verb: "smart-batch preview"), by: Self.other) } != nil)
        #expect(refusal { try policy().authorize(.readEveryones(verb: "smart-batch preview"), by: Self.other) } == nil)
    }
}
