import CosmosDomain
import Testing

/// Progress lines of single jobs, and the batch ETA that uses them.
@Suite("Job progress")
struct JobProgressTests {
    @Test("a fraction, or a step of a total, with an optional message")
    func parses() {
        #expect(JobProgress.parse("##cosmos progress fraction=0.25") == JobProgress(fraction: 0.25))
        #expect(
            JobProgress.parse("##cosmos progress step=3 total=12 denoising")
                == JobProgress(fraction: 0.25, message: "denoising")
        )
        #expect(JobProgress.parse("##cosmos progress fraction=1") == JobProgress(fraction: 1))
    }

    @Test("anything else is not progress: out of range, no total, a batch run's item line, another line")
    func refuses() {
        #expect(JobProgress.parse("##cosmos progress fraction=1.5") == nil)
        #expect(JobProgress.parse("##cosmos progress fraction=-0.1") == nil)
        #expect(JobProgress.parse("##cosmos progress step=3") == nil)
        #expect(JobProgress.parse("##cosmos progress step=3 total=0") == nil)
        #expect(JobProgress.parse("##cosmos progress index=0 state=running") == nil)
        #expect(JobProgress.parse("progress fraction=0.5") == nil)
        #expect(JobProgress.parse("##cosmos progress fraction=nan") == nil)
    }

    @Test("a running job that reports progress counts its own pace in the batch ETA")
    func eta() {
        // 30 s run, half done: 30 s left, whatever the group's mean says.
        #expect(BatchProgress.eta(groups: [(nil, 0, [.init(elapsed: 30, fraction: 0.5)])], running: 1) == 30)
        #expect(BatchProgress.eta(groups: [(100, 0, [.init(elapsed: 30, fraction: 0.75)])], running: 1) == 10)
        // Without progress the mean decides, as before; without a mean nothing is known.
        #expect(BatchProgress.eta(groups: [(100, 0, [.init(elapsed: 30)])], running: 1) == 70)
        #expect(BatchProgress.eta(groups: [(nil, 0, [.init(elapsed: 30)])], running: 1) == nil)
        #expect(BatchProgress.eta(groups: [(nil, 2, [.init(elapsed: 30, fraction: 0.5)])], running: 1) == nil)
    }
}
