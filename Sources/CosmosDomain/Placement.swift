/// What the scheduler does when the head of the queue cannot be placed.
public enum SchedulingPolicy: String, Sendable, Codable, CaseIterable {
    /// Nothing behind a job that cannot start may start.
    case strict
    /// Later jobs that fit may start, but the head keeps first claim on GPUs as they free up.
    case backfill
}

/// One host as the placer sees it: its GPUs and which are taken.
public struct HostCapacity: Sendable, Equatable {
    public var name: String
    /// All GPU device ids of the host, in configuration order.
    public var devices: [String]
    /// Device ids held by running or starting jobs.
    public var usedDevices: Set<String>
    /// Whether the host takes new work (up and not draining).
    public var accepting: Bool
    /// The host's labels, matched by jobs' selectors.
    public var labels: [String: String]
    /// Memory of each GPU, if the operator configured it.
    public var gpuMemoryGiB: Double?

    public init(
        name: String,
        devices: [String],
        usedDevices: Set<String> = [],
        accepting: Bool = true,
        labels: [String: String] = [:],
        gpuMemoryGiB: Double? = nil
    ) {
        self.name = name
        self.devices = devices
        self.usedDevices = usedDevices
        self.accepting = accepting
        self.labels = labels
        self.gpuMemoryGiB = gpuMemoryGiB
    }

    /// Whether the host could ever run `request`: its labels, GPU memory and GPU count suffice.
    public func suits(_ request: PlacementRequest) -> Bool {
        matchesSelector(of: request) && hasMemory(for: request) && devices.count >= request.gpus
    }

    func matchesSelector(of request: PlacementRequest) -> Bool {
        request.selector.allSatisfy { labels[$0.key] == $0.value }
    }

    func hasMemory(for request: PlacementRequest) -> Bool {
        guard let needed = request.minGPUMemoryGiB, request.gpus > 0 else { return true }
        return (gpuMemoryGiB ?? 0) >= needed
    }

    /// Device ids not in use, in configuration order.
    public var freeDevices: [String] { devices.filter { !usedDevices.contains($0) } }
}

/// A queued job asking to be placed.
public struct PlacementRequest: Sendable, Equatable {
    public var jobID: String
    public var gpus: Int
    /// The least memory per GPU the job needs.
    public var minGPUMemoryGiB: Double?
    /// Labels a host must carry, all of them.
    public var selector: [String: String]

    public init(jobID: String, gpus: Int, minGPUMemoryGiB: Double? = nil, selector: [String: String] = [:]) {
        self.jobID = jobID
        self.gpus = gpus
        self.minGPUMemoryGiB = minGPUMemoryGiB
        self.selector = selector
    }

    /// The selector as `key=value,...`, for messages.
    public var selectorText: String {
        selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// A decision: the job starts on `host` with exactly `devices`.
public struct PlacementDecision: Sendable, Equatable {
    public var jobID: String
    public var host: String
    public var devices: [String]

    public init(jobID: String, host: String, devices: [String]) {
        self.jobID = jobID
        self.host = host
        self.devices = devices
    }
}

/// The result of one placement round.
public struct PlacementPlan: Sendable, Equatable {
    /// Jobs to start now, in queue order.
    public var decisions: [PlacementDecision] = []
    /// Why each job that was looked at and not placed waits.
    public var pendingReasons: [String: String] = [:]
}

/// Places queued jobs on hosts' GPUs: in queue order, exclusively, least-loaded host first.
public enum Placer {
    /// Plans which of `requests` (in queue order) start now on `hosts`.
    ///
    /// A job only goes to an accepting host that suits it (selector, GPU memory, GPU count); among
    /// those with enough free GPUs, the least loaded wins, ties broken by name.
    ///
    /// With `.backfill`, the first job that does not fit reserves the free GPUs of the host where it
    /// would fit soonest (the accepting, suitable host with the most free GPUs), so jobs behind it
    /// never take GPUs it is waiting for. With `.strict`, nothing behind it starts.
    public static func plan(
        requests: [PlacementRequest],
        hosts: [HostCapacity],
        policy: SchedulingPolicy
    ) -> PlacementPlan {
        var plan = PlacementPlan()
        var hosts = hosts.sorted { $0.name < $1.name }
        var reserved: [String: Int] = [:]  // host name -> GPUs set aside for a blocked job ahead
        var blocker: String?

        for request in requests {
            if let blocker, policy == .strict {
                plan.pendingReasons[request.jobID] = "behind job \(blocker) (strict order)"
                continue
            }
            let candidates = hosts.indices.filter { index in
                hosts[index].accepting && hosts[index].suits(request)
                    && hosts[index].freeDevices.count - reserved[hosts[index].name, default: 0] >= request.gpus
            }
            let best = candidates.min { lhs, rhs in
                let left = hosts[lhs].usedDevices.count
                let right = hosts[rhs].usedDevices.count
                return left != right ? left < right : hosts[lhs].name < hosts[rhs].name
            }
            if let best {
                let devices = Array(hosts[best].freeDevices.prefix(request.gpus))
                hosts[best].usedDevices.formUnion(devices)
                plan.decisions.append(PlacementDecision(jobID: request.jobID, host: hosts[best].name, devices: devices))
                continue
            }
            plan.pendingReasons[request.jobID] = reason(for: request, hosts: hosts, reserved: reserved)
            guard blocker == nil else { continue }
            blocker = request.jobID
            // Reserve, for the first blocked job, the free GPUs of the host it will fit on soonest.
            let fitting = hosts.filter { $0.accepting && $0.suits(request) }
            let target = fitting.max { lhs, rhs in
                lhs.freeDevices.count != rhs.freeDevices.count
                    ? lhs.freeDevices.count < rhs.freeDevices.count : lhs.name > rhs.name
            }
            if let target {
                reserved[target.name] = target.freeDevices.count
            }
        }
        return plan
    }

    /// Why `request` does not fit now.
    static func reason(for request: PlacementRequest, hosts: [HostCapacity], reserved: [String: Int]) -> String {
        let noun = request.gpus == 1 ? "GPU" : "GPUs"
        let matching = hosts.filter { $0.matchesSelector(of: request) }
        if matching.isEmpty { return "no host matches selector \(request.selectorText)" }
        let withMemory = matching.filter { $0.hasMemory(for: request) }
        if withMemory.isEmpty, let needed = request.minGPUMemoryGiB {
            return "no host has GPUs with \(Self.format(needed)) GiB of memory"
        }
        let suitable = withMemory.filter { $0.devices.count >= request.gpus }
        if suitable.isEmpty {
            let largest = withMemory.map(\.devices.count).max() ?? 0
            return "needs \(request.gpus) \(noun) on one host; the largest suitable host has \(largest)"
        }
        let accepting = suitable.filter(\.accepting)
        if accepting.isEmpty { return "all hosts down or draining" }
        let mostFree = accepting.map { max(0, $0.freeDevices.count - reserved[$0.name, default: 0]) }.max() ?? 0
        return "waiting for \(request.gpus) \(noun) (most free on one host: \(mostFree))"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
