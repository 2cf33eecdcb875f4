import CosmosDomain
import Testing

@Suite("Cost model")
struct CostModelTests {
    let defaults = CostModel.Estimate(setupSeconds: 60, itemSeconds: 300)

    /// A deterministic stand-in for measurement noise: ±`fraction`, varying by sample.
    func noisy(_ value: Double, _ index: Int, fraction: Double) -> Double {
        let wobble = [0.8, -0.6, 0.3, -1.0, 0.5, -0.2, 0.9, -0.7]
        return value * (1 + fraction * wobble[index % wobble.count])
    }

    @Test("recovers L and c within 10% from noisy runs of 1, 2, 4 and 8 items")
    func recoversFromNoise() {
        let setup = 40.0
        let item = 7.0
        let sizes = [1, 2, 4, 8, 2, 4, 8, 1]
        let samples = sizes.enumerated().map { index, n in
            CostModel.Sample(items: n, seconds: noisy(setup + Double(n) * item, index, fraction: 0.03))
        }
        let estimate = CostModel.estimate(samples, defaults: defaults)
        #expect(estimate.learned && estimate.samples == 8)
        #expect(abs(estimate.setupSeconds - setup) / setup < 0.10, "L = \(estimate.setupSeconds)")
        #expect(abs(estimate.itemSeconds - item) / item < 0.10, "c = \(estimate.itemSeconds)")
    }

    @Test("a reported model-load time splits L from c, even from one run or runs of one item")
    func loadSplit() {
        let samples = (0..<5).map { index in
            CostModel.Sample(
                items: 1,
                seconds: noisy(50, index, fraction: 0.02),
                loadSeconds: noisy(30, index + 3, fraction: 0.02)
            )
        }
        let estimate = CostModel.estimate(samples, defaults: defaults)
        #expect(estimate.learned)
        #expect(abs(estimate.setupSeconds - 30) < 3 && abs(estimate.itemSeconds - 20) < 3)
        let one = CostModel.estimate([CostModel.Sample(items: 4, seconds: 70, loadSeconds: 30)], defaults: defaults)
        #expect(one == CostModel.Estimate(setupSeconds: 30, itemSeconds: 10, samples: 1, learned: true))
    }

    @Test("too few samples, or one size without a load time, keep the defaults and count the samples")
    func defaultsUntilLearned() {
        let two = [CostModel.Sample(items: 1, seconds: 10), CostModel.Sample(items: 4, seconds: 20)]
        #expect(CostModel.estimate(two, defaults: defaults) == defaults.withSamples(2))
        let singles = (0..<6).map { _ in CostModel.Sample(items: 1, seconds: 10) }
        let estimate = CostModel.estimate(singles, defaults: defaults)
        #expect(!estimate.learned && estimate.samples == 6 && estimate.setupSeconds == 60)
    }

    @Test("only the most recent samples count")
    func boundedHistory() {
        let old = (0..<100).map { CostModel.Sample(items: $0 % 2 + 1, seconds: Double($0 % 2 + 1) * 100) }
        let recent = (0..<CostModel.historyLimit).map {
            CostModel.Sample(items: $0 % 4 + 1, seconds: 10 + Double($0 % 4 + 1) * 2)
        }
        let estimate = CostModel.estimate(old + recent, defaults: defaults)
        #expect(estimate.samples == CostModel.historyLimit)
        #expect(abs(estimate.setupSeconds - 10) < 0.01 && abs(estimate.itemSeconds - 2) < 0.01)
    }

    @Test("speedup n(L+c)/(L+nc) stays under the bound 1 + L/c")
    func speedupAndBound() {
        let estimate = CostModel.Estimate(setupSeconds: 60, itemSeconds: 300)
        #expect(abs(estimate.speedup(items: 4) - 4 * 360 / (60 + 4 * 300)) < 1e-9)
        #expect(estimate.bound == 1.2)
        for n in [1, 2, 8, 1000] { #expect(estimate.speedup(items: n) < 1.2 + 1e-9) }
        #expect(estimate.speedup(items: 1) == 1)
        #expect(estimate.runSeconds(items: 3) == 960 && estimate.aloneSeconds(items: 3) == 1080)
        #expect(CostModel.Estimate(setupSeconds: 5, itemSeconds: 0).bound == nil)
    }
}
