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

    public init(name: String, devices: [String], usedDevices: Set<String> = [], accepting: Bool = true) {
        self.name = name
        self.devices = devices
        self.usedDevices = usedDevices
        self.accepting = accepting
    }

    /// Device ids not in use, in configuration order.
    public var freeDevices: [String] { devices.filter { !usedDevices.contains($0) } }
}

/// A queued job asking to be placed.
public struct PlacementRequest: Sendable, Equatable {
    public var jobID: String
    public var gpus: Int

    public init(jobID: String, gpus: Int) {
        self.jobID = jobID
        self.gpus = gpus
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
    /// With `.backfill`, the first job that does not fit reserves the free GPUs of the host where it
    /// would fit soonest (the accepting host with the most free GPUs that has enough in total), so
    /// jobs behind it never take GPUs it is waiting for.
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
                hosts[index].accepting
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
            let fitting = hosts.filter { $0.accepting && $0.devices.count >= request.gpus }
            if let target = fitting.max(by: { $0.freeDevices.count < $1.freeDevices.count }) {
                reserved[target.name] = target.freeDevices.count
            }
        }
        return plan
    }

    /// Why `request` does not fit now.
    static func reason(for request: PlacementRequest, hosts: [HostCapacity], reserved: [String: Int]) -> String {
        let accepting = hosts.filter(\.accepting)
        if accepting.isEmpty { return "all hosts down or draining" }
        let mostFree = accepting.map { max(0, $0.freeDevices.count - reserved[$0.name, default: 0]) }.max() ?? 0
        let noun = request.gpus == 1 ? "GPU" : "GPUs"
        return "waiting for \(request.gpus) \(noun) (most free on one host: \(mostFree))"
    }
}
