import CosmosDomain
import CosmosStore
import Foundation
import GRDB

// queue-bench: latency of move-to-top, cancel and claim-next at 10k, 100k and 1M queued jobs.
//
// Usage: swift run -c release queue-bench [--sizes 10000,100000,1000000] [--samples 2000] [--durable]
//        queue-bench --fill PATH N   (only create PATH with N queued jobs, queue paused, for scripts/bench-web.sh)
// Each size gets a fresh SQLite file filled in bulk (one SQL statement); then each operation is timed `samples` times,
// each sample its own transaction, as the daemon runs it. Prints a table of p50/p99 in milliseconds.

struct Options {
    var sizes = [10_000, 100_000, 1_000_000]
    var samples = 2000
    var durable = false
    /// `--fill PATH N`: only create a database at PATH with N queued jobs and the queue paused (for other benchmarks).
    var fill: (path: String, count: Int)?

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--sizes": sizes = iterator.next()?.split(separator: ",").compactMap { Int($0) } ?? sizes
            case "--samples": samples = iterator.next().flatMap { Int($0) } ?? samples
            case "--durable": durable = true
            case "--fill":
                guard let path = iterator.next(), let count = iterator.next().flatMap({ Int($0) }) else {
                    FileHandle.standardError.write(Data("--fill needs a path and a count\n".utf8))
                    exit(64)
                }
                fill = (path, count)
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(64)
            }
        }
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func time(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}

/// Fills the queue with `count` jobs in one SQL statement (setup, not measured), then moves the key
/// counter past them, as `submit` would have left it.
func fill(_ database: AppDatabase, count: Int) async throws {
    let spec = String(
        decoding: try JSONEncoder().encode(JobSpec(image: "cosmos-test/fake-model:latest")),
        as: UTF8.self
    )
    try await database.writer.write { db in
        try db.execute(
            sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                INSERT INTO job(id, kind, state, priority, seq, image, spec, gpus, owner_uid, created_at)
                SELECT printf('b%09d', i), 'inference', 'queued', 0, i * ?, 'cosmos-test/fake-model:latest', ?, 1, 0,
                       '2026-11-24 00:00:00.000'
                FROM n
                """,
            arguments: [count, QueueKey.gap, spec]
        )
        try db.execute(
            sql:
                "INSERT INTO meta(key, value) VALUES ('next_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [String(Int64(count + 1) * QueueKey.gap)]
        )
    }
}

let options = Options(arguments: CommandLine.arguments)
if let (path, count) = options.fill {
    let database = try AppDatabase(path: path, durable: false)
    try await fill(database, count: count)
    try await database.setPaused(true, byUID: 0)
    print("queue-bench: \(path) holds \(count) queued jobs; the queue is paused")
    exit(0)
}
print("queue-bench: \(options.samples) samples per operation, synchronous=\(options.durable ? "FULL" : "NORMAL")")
print("")
print("| queued jobs | operation | p50 ms | p99 ms |")
print("|---:|---|---:|---:|")
var p99s: [String: [Double]] = [:]
for size in options.sizes {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("queue-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try AppDatabase(path: directory.appendingPathComponent("cosmos.db").path, durable: options.durable)
    try await fill(database, count: size)
    let ids = try database.writer.read { db in
        try String.fetchAll(db, sql: "SELECT id FROM job ORDER BY random() LIMIT ?", arguments: [options.samples * 2])
    }

    var moves: [Double] = []
    for id in ids.prefix(options.samples) { moves.append(try await time { _ = try await database.move(id, to: .top) }) }
    var cancels: [Double] = []
    for id in ids.suffix(options.samples) {
        cancels.append(try await time { _ = try await database.cancel(id, byUID: 0) })
    }
    let host = [HostCapacity(name: "local", devices: ["0"])]
    var claims: [Double] = []
    for _ in 0..<options.samples {
        var claimed: [JobRecord] = []
        claims.append(try await time { claimed = try await database.claimNext(hosts: host, policy: .backfill).claimed })
        // Free the GPU again so the next claim has work to do (not timed).
        for job in claimed {
            _ = try await database.finishAttempt(
                job.id,
                attempt: job.attempts,
                outcome: .exited(code: 0, oomKilled: false, outputs: [], error: nil),
                policy: RetryPolicy()
            )
        }
    }
    for (name, samples) in [("move --top", moves), ("cancel", cancels), ("claim next", claims)] {
        let p50 = percentile(samples, 0.50)
        let p99 = percentile(samples, 0.99)
        p99s[name, default: []].append(p99)
        print(String(format: "| %d | %@ | %.3f | %.3f |", size, name, p50, p99))
    }
}
if options.sizes.count > 1 {
    print("")
    print(
        "p99 growth from \(options.sizes.first!) to \(options.sizes.last!) jobs (\(options.sizes.last! / options.sizes.first!)x the jobs):"
    )
    for (name, values) in p99s.sorted(by: { $0.key < $1.key }) {
        print(String(format: "  %@: %.2fx", name, values.last! / values.first!))
    }
}
