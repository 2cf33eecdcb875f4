/// The learned cost of runs: a run of n items takes L + n·c seconds (L: container start and model load, c: one
/// item), per image and control signature (pure).
///
/// Single jobs give L + c, batch runs L + n·c. Once there are ``minimumSamples`` recent runs of two sizes or more,
/// the estimate is the least-squares line through their (n, seconds): its intercept holds everything a run pays
/// once (container start and exit, output collection, the model load) and its slope the time per item. Before
/// that, runs that reported their model loaded split L from c on their own (medians), so one such run is enough.
/// Without either, the configured defaults are used.
public enum CostModel {
    /// Runs (of two sizes or more) needed before a least-squares estimate is made.
    public static let minimumSamples = 3
    /// Samples kept per image and control signature.
    public static let historyLimit = 50

    /// One finished, successful run.
    public struct Sample: Sendable, Equatable, Codable {
        public var items: Int
        public var seconds: Double
        /// Seconds from the container's start to its "model loaded" line, when it printed one.
        public var loadSeconds: Double?

        public init(items: Int, seconds: Double, loadSeconds: Double? = nil) {
            self.items = items
            self.seconds = seconds
            self.loadSeconds = loadSeconds
        }
    }

    /// L and c, and where they come from.
    public struct Estimate: Sendable, Equatable, Codable {
        /// L: seconds to start the container and load the model.
        public var setupSeconds: Double
        /// c: seconds per item.
        public var itemSeconds: Double
        public var samples: Int
        /// Learned from samples, or the configured defaults.
        public var learned: Bool

        public init(setupSeconds: Double, itemSeconds: Double, samples: Int = 0, learned: Bool = false) {
            self.setupSeconds = setupSeconds
            self.itemSeconds = itemSeconds
            self.samples = samples
            self.learned = learned
        }

        /// Seconds for one run of `items`: L + n·c.
        public func runSeconds(items: Int) -> Double { setupSeconds + Double(items) * itemSeconds }

        /// Seconds for `items` jobs run alone: n·(L + c).
        public func aloneSeconds(items: Int) -> Double { Double(items) * (setupSeconds + itemSeconds) }

        /// n(L+c) / (L+nc): what running `items` together saves.
        public func speedup(items: Int) -> Double {
            let together = runSeconds(items: items)
            return together > 0 ? aloneSeconds(items: items) / together : 1
        }

        /// 1 + L/c: no run size can do better.
        public var bound: Double? { itemSeconds > 0 ? 1 + setupSeconds / itemSeconds : nil }

        enum CodingKeys: String, CodingKey {
            case setupSeconds = "setup_seconds"
            case itemSeconds = "item_seconds"
            case samples, learned
        }
    }

    /// The estimate from `samples` (newest last), or `defaults` while they cannot say.
    public static func estimate(_ samples: [Sample], defaults: Estimate) -> Estimate {
        let recent = Array(samples.suffix(historyLimit)).filter { $0.items > 0 && $0.seconds >= 0 }
        if recent.count >= minimumSamples, Set(recent.map(\.items)).count >= 2 {
            return leastSquares(recent)
        }
        let split = recent.filter { $0.loadSeconds != nil }
        guard !split.isEmpty else { return defaults.withSamples(recent.count) }
        let perItem = split.map { max($0.seconds - ($0.loadSeconds ?? 0), 0) / Double($0.items) }
        return Estimate(
            setupSeconds: median(split.compactMap(\.loadSeconds)),
            itemSeconds: median(perItem),
            samples: recent.count,
            learned: true
        )
    }

    /// The line t = L + n·c through the samples that is closest in squares (they hold two sizes or more).
    static func leastSquares(_ samples: [Sample]) -> Estimate {
        let n = samples.map { Double($0.items) }
        let t = samples.map(\.seconds)
        let meanN = n.reduce(0, +) / Double(n.count)
        let meanT = t.reduce(0, +) / Double(t.count)
        var covariance = 0.0
        var variance = 0.0
        for index in n.indices {
            covariance += (n[index] - meanN) * (t[index] - meanT)
            variance += (n[index] - meanN) * (n[index] - meanN)
        }
        let slope = max(covariance / variance, 0)
        let intercept = max(meanT - slope * meanN, 0)
        return Estimate(setupSeconds: intercept, itemSeconds: slope, samples: samples.count, learned: true)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension CostModel.Estimate {
    /// The same values, counting `samples`.
    public func withSamples(_ samples: Int) -> Self {
        var copy = self
        copy.samples = samples
        return copy
    }
}
