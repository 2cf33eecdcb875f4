import CosmosDomain
import Testing

@Suite("Placement")
struct PlacementTests {
    func request(_ id: String, _ gpus: Int) -> PlacementRequest { PlacementRequest(jobID: id, gpus: gpus) }

    @Test("jobs fit in queue order and get distinct GPUs")
    func fitAndExclusivity() {
        let hosts = [HostCapacity(name: "a", devices: ["0", "1", "2"])]
        let plan = Placer.plan(
            requests: [request("j1", 1), request("j2", 2), request("j3", 1)],
            hosts: hosts,
            policy: .backfill
        )
        #expect(plan.decisions.map(\.jobID) == ["j1", "j2"])
        let devices = plan.decisions.flatMap(\.devices)
        #expect(Set(devices).count == devices.count)
        #expect(plan.pendingReasons["j3"] == "waiting for 1 GPU (most free on one host: 0)")
    }

    @Test("used devices are never handed out again")
    func respectsUsed() {
        let hosts = [HostCapacity(name: "a", devices: ["0", "1"], usedDevices: ["0"])]
        let plan = Placer.plan(requests: [request("j1", 1)], hosts: hosts, policy: .backfill)
        #expect(plan.decisions == [PlacementDecision(jobID: "j1", host: "a", devices: ["1"])])
    }

    @Test("the least-loaded host wins, ties broken by name")
    func spreading() {
        let hosts = [
            HostCapacity(name: "b", devices: ["0", "1"]),
            HostCapacity(name: "a", devices: ["0", "1"]),
        ]
        let plan = Placer.plan(
            requests: [request("j1", 1), request("j2", 1), request("j3", 1)],
            hosts: hosts,
            policy: .backfill
        )
        #expect(plan.decisions.map(\.host) == ["a", "b", "a"])
    }

    @Test("strict: nothing behind a blocked head starts")
    func strict() {
        let hosts = [HostCapacity(name: "a", devices: ["0", "1"], usedDevices: ["0"])]
        let plan = Placer.plan(requests: [request("big", 2), request("small", 1)], hosts: hosts, policy: .strict)
        #expect(plan.decisions.isEmpty)
        #expect(plan.pendingReasons["big"] == "waiting for 2 GPUs (most free on one host: 1)")
        #expect(plan.pendingReasons["small"] == "behind job big (strict order)")
    }

    @Test("backfill: later jobs fit elsewhere, but never take the GPUs the head is waiting for")
    func backfillWithoutStarvation() {
        let hosts = [
            HostCapacity(name: "a", devices: ["0", "1"], usedDevices: ["0"]),
            HostCapacity(name: "b", devices: ["0"], usedDevices: []),
        ]
        // The head needs both GPUs of host a; a's free GPU is reserved for it, b's may be used.
        let plan = Placer.plan(
            requests: [request("head", 2), request("s1", 1), request("s2", 1)],
            hosts: hosts,
            policy: .backfill
        )
        #expect(plan.decisions == [PlacementDecision(jobID: "s1", host: "b", devices: ["0"])])
        #expect(plan.pendingReasons["head"] != nil)
        #expect(plan.pendingReasons["s2"] == "waiting for 1 GPU (most free on one host: 0)")
    }

    @Test("no accepting host: says so")
    func allDown() {
        let hosts = [HostCapacity(name: "a", devices: ["0"], accepting: false)]
        let plan = Placer.plan(requests: [request("j", 1)], hosts: hosts, policy: .backfill)
        #expect(plan.pendingReasons["j"] == "all hosts down or draining")
    }

    @Test("CPU-only jobs need no GPU")
    func cpuOnly() {
        let hosts = [HostCapacity(name: "a", devices: ["0"], usedDevices: ["0"])]
        let plan = Placer.plan(requests: [request("cpu", 0)], hosts: hosts, policy: .strict)
        #expect(plan.decisions == [PlacementDecision(jobID: "cpu", host: "a", devices: [])])
    }

    @Test("selectors and GPU memory: only suitable hosts; the reason names what is missing")
    func selectorsAndMemory() {
        let hosts = [
            HostCapacity(name: "a", devices: ["0", "1"], labels: ["gpu": "a100"], gpuMemoryGiB: 80),
            HostCapacity(name: "b", devices: ["0", "1"], labels: ["gpu": "l4"], gpuMemoryGiB: 24),
        ]
        let requests = [
            PlacementRequest(jobID: "a100", gpus: 1, selector: ["gpu": "a100"]),
            PlacementRequest(jobID: "big-mem", gpus: 1, minGPUMemoryGiB: 40),
            PlacementRequest(jobID: "h100", gpus: 1, selector: ["gpu": "h100"]),
            PlacementRequest(jobID: "huge-mem", gpus: 1, minGPUMemoryGiB: 141),
            PlacementRequest(jobID: "l4", gpus: 1, selector: ["gpu": "l4"]),
        ]
        let plan = Placer.plan(requests: requests, hosts: hosts, policy: .backfill)
        #expect(
            plan.decisions == [
                PlacementDecision(jobID: "a100", host: "a", devices: ["0"]),
                PlacementDecision(jobID: "big-mem", host: "a", devices: ["1"]),
                PlacementDecision(jobID: "l4", host: "b", devices: ["0"]),
            ]
        )
        #expect(plan.pendingReasons["h100"] == "no host matches selector gpu=h100")
        #expect(plan.pendingReasons["huge-mem"] == "no host has GPUs with 141 GiB of memory")
    }

    @Test("a 2-GPU job waits for two GPUs of one host, not two free GPUs on two hosts")
    func twoOnOneHost() {
        let hosts = [
            HostCapacity(name: "a", devices: ["0", "1"], usedDevices: ["0"]),
            HostCapacity(name: "b", devices: ["0", "1"], usedDevices: ["1"]),
        ]
        let plan = Placer.plan(requests: [request("pair", 2)], hosts: hosts, policy: .backfill)
        #expect(plan.decisions.isEmpty)
        #expect(plan.pendingReasons["pair"] == "waiting for 2 GPUs (most free on one host: 1)")
    }

    @Test("backfill keeps the head's claim across rounds: a freed GPU goes to the head, never to later jobs")
    func headKeepsClaimAsGPUsFree() {
        // Round 1: host a has 1 of 2 GPUs free; the head needs 2. Later 1-GPU jobs must not take it.
        var hosts = [HostCapacity(name: "a", devices: ["0", "1"], usedDevices: ["0"])]
        let queue = [request("head", 2), request("s1", 1), request("s2", 1)]
        var plan = Placer.plan(requests: queue, hosts: hosts, policy: .backfill)
        #expect(plan.decisions.isEmpty)
        // Round 2: the running job ends and frees GPU 0: the head gets both.
        hosts[0].usedDevices = []
        plan = Placer.plan(requests: queue, hosts: hosts, policy: .backfill)
        #expect(plan.decisions == [PlacementDecision(jobID: "head", host: "a", devices: ["0", "1"])])
    }

    @Test("draining or down hosts take nothing; a job too large for every suitable host says so")
    func notAccepting() {
        let hosts = [
            HostCapacity(name: "a", devices: ["0"], accepting: false),
            HostCapacity(name: "b", devices: ["0"]),
        ]
        let plan = Placer.plan(
            requests: [request("j1", 1), request("j2", 1), request("wide", 2)],
            hosts: hosts,
            policy: .backfill
        )
        #expect(plan.decisions == [PlacementDecision(jobID: "j1", host: "b", devices: ["0"])])
        #expect(plan.pendingReasons["wide"] == "needs 2 GPUs on one host; the largest suitable host has 1")
    }
}
