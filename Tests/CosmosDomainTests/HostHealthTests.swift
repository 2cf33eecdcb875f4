import CosmosDomain
import Testing

@Suite("Host health")
struct HostHealthTests {
    @Test("down after N failures in a row, up on the first answer; an answer resets the count")
    func transitions() {
        var health = HostHealth()
        #expect(health.recordFailure("refused", at: 1, downAfterFailures: 3) == nil)
        #expect(health.recordFailure("refused", at: 2, downAfterFailures: 3) == nil)
        #expect(health.recordSuccess() == nil)
        #expect(health.consecutiveFailures == 0 && health.status == .up)
        #expect(health.recordFailure("a", at: 10, downAfterFailures: 3) == nil)
        #expect(health.recordFailure("b", at: 15, downAfterFailures: 3) == nil)
        #expect(health.recordFailure("c", at: 20, downAfterFailures: 3) == .wentDown)
        #expect(health.status == .down && health.downSince == 20 && health.lastError == "c")
        #expect(health.recordFailure("d", at: 25, downAfterFailures: 3) == nil)
        #expect(health.downSince == 20)
        #expect(health.recordSuccess() == .cameUp)
        #expect(health.status == .up && health.downSince == nil && health.lastError == nil)
    }

    @Test("the grace period counts from going down")
    func grace() {
        var health = HostHealth()
        #expect(!health.graceExpired(at: 100, grace: 0))
        _ = health.recordFailure("x", at: 10, downAfterFailures: 1)
        #expect(!health.graceExpired(at: 69.9, grace: 60))
        #expect(health.graceExpired(at: 70, grace: 60))
    }

    @Test("display state: down wins; a drain shows draining while jobs run, then drained")
    func display() {
        #expect(HostDisplayState(status: .up, draining: false, running: 2) == .up)
        #expect(HostDisplayState(status: .up, draining: true, running: 1) == .draining)
        #expect(HostDisplayState(status: .up, draining: true, running: 0) == .drained)
        #expect(HostDisplayState(status: .down, draining: true, running: 1) == .down)
    }
}
