import CosmosDomain
import Testing

@Suite("Batch progress")
struct BatchProgressTests {
    func progress(
        total: Int,
        queued: Int = 0,
        held: Int = 0,
        running: Int = 0,
        succeeded: Int = 0,
        failed: Int = 0,
        cancelled: Int = 0
    ) -> BatchProgress {
        var progress = BatchProgress()
        progress.total = total
        progress.queued = queued
        progress.held = held
        progress.running = running
        progress.succeeded = succeeded
        progress.failed = failed
        progress.cancelled = cancelled
        return progress
    }

    @Test("status follows the documented rules in order")
    func status() {
        #expect(progress(total: 3, queued: 3).status == .pending)
        #expect(progress(total: 3, queued: 2, running: 1).status == .running)
        #expect(progress(total: 3, queued: 2, succeeded: 1).status == .running)
        #expect(progress(total: 3, succeeded: 3).status == .completed)
        #expect(progress(total: 3, succeeded: 2, failed: 1).status == .failed)
        #expect(progress(total: 3, succeeded: 2, cancelled: 1).status == .completed)
        var paused = progress(total: 3, held: 2, running: 1)
        paused.paused = true
        #expect(paused.status == .paused)
        var cancelled = paused
        cancelled.cancelledByUser = true
        #expect(cancelled.status == .cancelled)
        #expect(BatchProgress.Status.cancelled.isFinished && !BatchProgress.Status.paused.isFinished)
    }

    @Test("percent counts ended jobs, rounded down")
    func percent() {
        #expect(progress(total: 10, queued: 4, succeeded: 5, failed: 1).percent == 60)
        #expect(progress(total: 3, queued: 2, succeeded: 1).percent == 33)
        #expect(progress(total: 0).percent == 100)
    }

    @Test("ETA: unknown without data; waiting work plus what running jobs have left, over the running jobs")
    func eta() {
        #expect(BatchProgress.eta(remaining: [(nil, 3, [])], running: 0) == nil)
        #expect(BatchProgress.eta(remaining: [(60, 4, [])], running: 0) == 240)
        #expect(BatchProgress.eta(remaining: [(60, 4, [20, 70])], running: 2) == 140)
        #expect(BatchProgress.eta(remaining: [(60, 0, []), (nil, 0, [])], running: 0) == 0)
    }
}
