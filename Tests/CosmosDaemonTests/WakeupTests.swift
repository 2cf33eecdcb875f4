import Testing

@testable import CosmosDaemon

@Suite("Wakeup")
struct WakeupTests {
    @Test("a wait lasts its timeout, again and again (a spinning loop would return at once)")
    func timeoutsRepeat() async {
        let wakeup = Wakeup()
        for _ in 0..<5 {
            let start = ContinuousClock.now
            await wakeup.wait(timeout: .milliseconds(100))
            #expect(ContinuousClock.now - start >= .milliseconds(90))
        }
    }

    @Test("a signal ends the current wait early, and one before a wait is kept for it")
    func signals() async {
        let wakeup = Wakeup()
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            wakeup.signal()
        }
        let start = ContinuousClock.now
        await wakeup.wait(timeout: .seconds(10))
        #expect(ContinuousClock.now - start < .seconds(5))
        wakeup.signal()
        let second = ContinuousClock.now
        await wakeup.wait(timeout: .seconds(10))
        #expect(ContinuousClock.now - second < .seconds(1))
    }
}
