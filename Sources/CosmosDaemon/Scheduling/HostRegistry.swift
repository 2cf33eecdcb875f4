import CosmosDomain
import Foundation
import Synchronization

/// What the daemon knows of each host right now: probed health and the operator's drain.
///
/// The monitor writes health, the control API writes drains (after storing them), the scheduler reads both.
final class HostRegistry: Sendable {
    private struct Entry {
        var health = HostHealth()
        var draining = false
    }

    private let entries: Mutex<[String: Entry]>
    /// The monotonic clock the health times are measured on.
    private let origin = ContinuousClock.now

    init(hosts: [String], drained: Set<String>) {
        entries = Mutex(Dictionary(uniqueKeysWithValues: hosts.map { ($0, Entry(draining: drained.contains($0))) }))
    }

    /// Seconds since the registry was made (the time axis of ``HostHealth``).
    var now: Double {
        let elapsed = ContinuousClock.now - origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The health of `host` (a fresh, up state for an unknown name).
    func health(of host: String) -> HostHealth {
        entries.withLock { $0[host]?.health ?? HostHealth() }
    }

    /// Whether an operator drained `host`.
    func isDraining(_ host: String) -> Bool {
        entries.withLock { $0[host]?.draining ?? false }
    }

    /// Whether `host` takes new jobs: up and not drained.
    func isAccepting(_ host: String) -> Bool {
        entries.withLock { entry in
            guard let entry = entry[host] else { return false }
            return entry.health.status == .up && !entry.draining
        }
    }

    /// Names of hosts that answer probes.
    var upHosts: Set<String> {
        entries.withLock { Set($0.filter { $0.value.health.status == .up }.keys) }
    }

    /// Hosts down for at least `grace` seconds.
    func hostsDown(longerThan grace: Double) -> [String] {
        let now = self.now
        return entries.withLock { entries in
            entries.filter { $0.value.health.graceExpired(at: now, grace: grace) }.keys.sorted()
        }
    }

    func setDraining(_ host: String, _ draining: Bool) {
        entries.withLock { $0[host]?.draining = draining }
    }

    /// Records a probe's result; returns the transition it caused, if any.
    func recordProbe(_ host: String, error: String?, downAfterFailures: Int) -> HostHealth.Transition? {
        let now = self.now
        return entries.withLock { entries in
            guard var entry = entries[host] else { return nil }
            defer { entries[host] = entry }
            if let error {
                return entry.health.recordFailure(error, at: now, downAfterFailures: downAfterFailures)
            }
            return entry.health.recordSuccess()
        }
    }
}
