import CosmosDomain
import CosmosStore
import Foundation
import Testing

@testable import CosmosDaemon

@Suite("Reconciliation rules")
struct ReconcileRulesTests {
    func job(_ state: JobState, attempts: Int, host: String? = "local") -> JobRecord {
        JobRecord(
            id: "abcdefghjk",
            kind: .inference,
            state: state,
            image: "img",
            spec: JobSpec(image: "img"),
            gpus: 1,
            ownerUid: 0,
            attempts: attempts,
            host: host,
            devices: ["0"],
            createdAt: Date()
        )
    }

    func finding(attempt: Int?, host: String = "local") -> Scheduler.ContainerFinding {
        Scheduler.ContainerFinding(host: host, containerID: "c", name: "n", jobID: "abcdefghjk", attempt: attempt)
    }

    @Test("the current attempt's container of a starting or running job is kept")
    func current() {
        #expect(!Scheduler.isOrphan(finding(attempt: 2), job: job(.running, attempts: 2)))
        #expect(!Scheduler.isOrphan(finding(attempt: 1), job: job(.starting, attempts: 1)))
    }

    @Test("unknown, finished, queued, older-attempt, other-host and unlabelled containers are orphans")
    func orphans() {
        #expect(Scheduler.isOrphan(finding(attempt: 1), job: nil))
        #expect(Scheduler.isOrphan(finding(attempt: 1), job: job(.succeeded, attempts: 1)))
        #expect(Scheduler.isOrphan(finding(attempt: 1), job: job(.queued, attempts: 1)))
        #expect(Scheduler.isOrphan(finding(attempt: 1), job: job(.running, attempts: 2)))
        #expect(Scheduler.isOrphan(finding(attempt: 2, host: "other"), job: job(.running, attempts: 2)))
        #expect(Scheduler.isOrphan(finding(attempt: nil), job: job(.running, attempts: 2)))
    }

    @Test("fault points have stable names")
    func faultPoints() {
        #expect(
            FaultPoint.allCases.map(\.rawValue) == [
                "after-claim", "after-create", "after-start", "while-waiting", "after-exit",
            ]
        )
    }

    @Test("a container of an older attempt is superseded (removed at once); others wait out the grace period")
    func superseded() {
        #expect(Scheduler.isSuperseded(finding(attempt: 1), job: job(.running, attempts: 2)))
        #expect(Scheduler.isSuperseded(finding(attempt: 1), job: job(.queued, attempts: 2)))
        #expect(!Scheduler.isSuperseded(finding(attempt: 2), job: job(.queued, attempts: 2)))
        #expect(!Scheduler.isSuperseded(finding(attempt: 2), job: job(.succeeded, attempts: 2)))
        #expect(!Scheduler.isSuperseded(finding(attempt: 1), job: nil))
    }
}

@Suite("Container configuration")
struct ContainerConfigTests {
    @Test("the daemon builds the whole configuration: labels, env, network, limits, no privileges")
    func configuration() {
        var job = ReconcileRulesTests().job(.starting, attempts: 3)
        job.spec.env = ["A": "1"]
        job.spec.memoryBytes = 512 << 20
        job.spec.command = ["run"]
        job.devices = ["0", "2"]
        let host = HostConfiguration(name: "local", docker: "unix:///var/run/docker.sock", devices: ["0", "1", "2"])
        let env = ContainerExecutor.containerConfig(for: job, host: host, mode: .env, instance: "i1")
        #expect(
            env.labels == [
                "cosmos.job": "abcdefghjk", "cosmos.attempt": "3", "cosmos.instance": "i1", "cosmos.kind": "inference",
            ]
        )
        #expect(env.env?.contains("NVIDIA_VISIBLE_DEVICES=0,2") == true)
        #expect(env.env?.contains("CUDA_VISIBLE_DEVICES=0,2") == true)
        #expect(env.env?.contains("A=1") == true)
        #expect(env.cmd == ["run"])
        #expect(env.hostConfig.networkMode == "none")
        #expect(env.hostConfig.memory == 512 << 20)
        #expect(env.hostConfig.deviceRequests == nil)
        #expect(env.hostConfig.binds == nil && env.hostConfig.mounts == nil && env.hostConfig.capAdd == nil)
        #expect(env.hostConfig.securityOpt == ["no-new-privileges"])
        var mounted = host
        mounted.mounts = [HostMount(source: "/models", target: "/models")]
        let withMounts = ContainerExecutor.containerConfig(for: job, host: mounted, mode: .env, instance: "i1")
        #expect(withMounts.hostConfig.mounts == [.bind(source: "/models", target: "/models", readOnly: true)])
        let nvidia = ContainerExecutor.containerConfig(for: job, host: host, mode: .nvidia, instance: "i1")
        #expect(nvidia.hostConfig.deviceRequests?.first?.deviceIDs == ["0", "2"])
        #expect(nvidia.hostConfig.deviceRequests?.first?.driver == "nvidia")
    }

    @Test("job.json carries the spec in one line")
    func jobDocument() throws {
        var job = ReconcileRulesTests().job(.starting, attempts: 1)
        job.spec.prompt = "a robot"
        job.spec.controls = ["edge": 0.5]
        let text = String(decoding: ContainerExecutor.jobDocument(for: job), as: UTF8.self)
        #expect(text.hasSuffix("\n") && text.dropLast().contains("\n") == false)
        let value = try JSONValue.parse(Data(text.utf8))
        guard case .object(let object) = value, case .object(let spec)? = object["spec"] else {
            Issue.record("not an object: \(text)")
            return
        }
        #expect(object["version"] == .number(1) && object["job_id"] == .string("abcdefghjk"))
        #expect(spec["prompt"] == .string("a robot") && spec["controls"] == .object(["edge": .number(0.5)]))
    }
}
