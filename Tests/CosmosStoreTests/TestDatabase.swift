import CosmosDomain
import CosmosStore
import Foundation

/// A real SQLite file in a fresh temporary directory, removed when the value is released.
final class TestDatabase {
    let directory: URL
    let database: AppDatabase

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cosmos-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try AppDatabase(path: directory.appendingPathComponent("cosmos.db").path, durable: false)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Submits `count` jobs of priority `priority` and returns their ids in submission order.
    func submit(_ count: Int, priority: Int = 0) async throws -> [String] {
        let specs = (0..<count).map { JobSpec(name: "job \($0)", image: "img", priority: priority) }
        return try await database.submit(specs, ownerUID: 1000).map(\.job.id)
    }

    /// Ids of queued and held jobs in queue order.
    func order() async throws -> [String] {
        try await database.list().filter { $0.position != nil }.map(\.job.id)
    }
}
