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
        #expect(env.hostConfig.initProcess == true)
        var mounted = host
        mounted.mounts = [HostMount(source: "/models", target: "/models")]
        let withMounts = ContainerExecutor.containerConfig(for: job, host: mounted, mode: .env, instance: "i1")
        #expect(withMounts.hostConfig.mounts == [.bind(source: "/models", target: "/models", readOnly: true)])
        let nvidia = ContainerExecutor.containerConfig(for: job, host: host, mode: .nvidia, instance: "i1")
        #expect(nvidia.hostConfig.deviceRequests?.first?.deviceIDs == ["0", "2"])
        #expect(nvidia.hostConfig.deviceRequests?.first?.driver == "nvidia")
    }

    @Test("an image with a runner runs its staged adapter, with the runner's shm_size and ipc and nothing of the job's")
    func runnerConfiguration() {
        var job = ReconcileRulesTests().job(.starting, attempts: 1)
        job.spec.command = nil
        let host = HostConfiguration(name: "local", docker: "unix:///var/run/docker.sock", devices: ["0"])
        var runner = RunnerConfiguration(match: "*", adapter: .transfer25)
        runner.shmBytes = 8 << 30
        runner.ipcMode = .host
        let config = ContainerExecutor.containerConfig(for: job, host: host, mode: .env, instance: "i1", runner: runner)
        #expect(config.cmd == ["python3", "-B", "/cosmos/bin/cosmos_transfer2_5.py"])
        #expect(config.hostConfig.shmSize == 8 << 30)
        #expect(config.hostConfig.ipcMode == "host")
        let plain = ContainerExecutor.containerConfig(for: job, host: host, mode: .env, instance: "i1")
        #expect(plain.hostConfig.shmSize == nil && plain.hostConfig.ipcMode == nil && plain.cmd == nil)
        for adapter in RunnerConfiguration.Adapter.allCases {
            let text = String(decoding: AdapterScripts.script(adapter), as: UTF8.self)
            #expect(text.contains("adapter.main(run)"), "\(adapter.script) is embedded whole")
        }
    }

    @Test("a container's `##cosmos error` and `##cosmos oom` lines: the last error counts, JSON-decoded")
    func runnerReport() {
        var report = RunnerReport()
        let progress = report.apply(line: "##cosmos progress index=0 state=running")
        #expect(!progress)
        let first = report.apply(line: #"##cosmos error "first""#)
        let second = report.apply(line: #"##cosmos error "transfer.py exited 1:\nCUDA out of memory""#)
        #expect(first && second)
        #expect(report.error == "transfer.py exited 1:\nCUDA out of memory")
        #expect(!report.outOfMemory)
        let oom = report.apply(line: "##cosmos oom")
        #expect(oom && report.outOfMemory)
        let plain = report.apply(line: "##cosmos error not json")
        #expect(plain)
        #expect(report.error == "not json")
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

    @Test("an upscale job's job.json has Cosmos's upscale form: the staged video, the weight, a prompt only if given")
    func upscaleDocument() throws {
        var job = ReconcileRulesTests().job(.starting, attempts: 1)
        job.kind = .upscale
        job.spec.kind = .upscale
        job.spec.inputs = ["/srv/outputs/aaaaaaaaaa/video.mp4"]
        job.spec.upscale = UpscaleSettings(controlWeight: 0.7)
        func spec() throws -> [String: JSONValue] {
            let text = String(decoding: ContainerExecutor.jobDocument(for: job), as: UTF8.self)
            guard case .object(let object) = try JSONValue.parse(Data(text.utf8)), object["kind"] == .string("upscale"),
                case .object(let spec)? = object["spec"]
            else {
                Issue.record("not an upscale document: \(text)")
                return [:]
            }
            return spec
        }
        #expect(
            try spec() == [
                "input_video_path": .string("/cosmos/in/video.mp4"),
                "upscale": .object(["control_weight": .number(0.7)]),
            ]
        )
        job.spec.prompt = "cinematic 8K"
        #expect(try spec()["prompt"] == .string("cinematic 8K"))
        #expect(job.containerName == "cosmos_upscale_abcdefgh_1")
    }

    @Test("a batch run's job.json: each item's inputs in its own folder, the master controls it lacks at weight 0")
    func batchDocument() throws {
        var parent = ReconcileRulesTests().job(.starting, attempts: 1)
        parent.shape = .batchParent
        parent.spec.controls = ["depth": 0, "edge": 0]
        var items: [JobRecord] = []
        for (index, controls) in [["edge": 0.5], ["depth": 0.7]].enumerated() {
            var item = ReconcileRulesTests().job(.queued, attempts: 0)
            item.id = "item\(index)abcde"
            item.shape = .batchItem
            item.batchIndex = index
            item.spec.controls = controls
            item.spec.inputs = ["/data/\(index == 0 ? "a" : "b")/clip.mp4"]
            items.append(item)
        }
        let text = String(decoding: ContainerExecutor.batchDocument(for: parent, items: items), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && lines[3] == "]}")
        var specs: [[String: JSONValue]] = []
        for line in lines[1...2] {
            let item = try JSONValue.parse(Data(line.trimmingCharacters(in: CharacterSet(charactersIn: ",")).utf8))
            guard case .object(let object) = item, case .object(let spec)? = object["spec"] else {
                Issue.record("not an item: \(line)")
                return
            }
            specs.append(spec)
        }
        #expect(specs[0]["inputs"] == .array([.string("/cosmos/in/0/clip.mp4")]))
        #expect(specs[1]["inputs"] == .array([.string("/cosmos/in/1/clip.mp4")]))
        #expect(specs[0]["controls"] == .object(["edge": .number(0.5), "depth": .number(0)]))
        #expect(specs[1]["controls"] == .object(["edge": .number(0), "depth": .number(0.7)]))
    }

    @Test("an enhance run's job.json: kind enhance_batch and the model in the header, each item's prompt and source")
    func enhanceDocument() throws {
        var parent = ReconcileRulesTests().job(.starting, attempts: 2)
        parent.kind = .enhance
        parent.shape = .batchParent
        parent.spec.enhance = EnhanceSettings(mode: .update, model: "upsampler \"7\"")
        var item = ReconcileRulesTests().job(.queued, attempts: 0)
        item.id = "item0abcdef"
        item.kind = .enhance
        item.shape = .batchItem
        item.batchIndex = 0
        item.spec = EnhanceRun.itemSpec(
            for: JobSpec(image: "cosmos", prompt: "a cat", inputs: ["/data/clip.mp4"]),
            sourceID: "source0abcd",
            parent: parent.spec
        )
        let text = String(decoding: ContainerExecutor.batchDocument(for: parent, items: [item]), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[2] == "]}")
        #expect(
            lines[0] == "{\"version\":1,\"kind\":\"enhance_batch\",\"job_id\":\"\(parent.id)\",\"attempt\":2,"
                + "\"model\":\"upsampler \\\"7\\\"\",\"items\":["
        )
        guard case .object(let object) = try JSONValue.parse(Data(lines[1].utf8)),
            case .object(let spec)? = object["spec"]
        else {
            Issue.record("not an item: \(lines[1])")
            return
        }
        #expect(object["job_id"] == .string("item0abcdef") && object["index"] == .number(0))
        #expect(spec["prompt"] == .string("a cat") && spec["source_job_id"] == .string("source0abcd"))
        #expect(spec["kind"] == .string("enhance"))
        #expect(spec["inputs"] == .array([.string("/cosmos/in/0/clip.mp4")]))
        #expect(parent.containerName == "cosmos_enhance_batch_\(parent.id.prefix(8))_2")
    }
}
