import CosmosDomain
import CosmosStore
import Foundation
import Logging

@testable import CosmosDaemon

/// A real SQLite store in a temporary state directory, one host `local` with one GPU, and a fake engine.
struct RunnerHarness {
    let configuration: DaemonConfiguration
    let database: AppDatabase
    let engine = FakeEngine()
    let executor: ContainerExecutor
    let live: LiveConfiguration
    let logger = Logger(label: "cosmos-test")
    let statistics = DaemonStatistics()

    /// A harness whose executor has `capabilities` (a root test run has them all).
    init(capabilities: ProcessCapabilities = .current()) throws {
        var configuration = DaemonConfiguration.embeddedDefault(environment: [:])
        configuration.stateDirectory = NSTemporaryDirectory() + "cosmos-fake-" + UUID().uuidString
        configuration.hosts = [
            HostConfiguration(name: "local", docker: "unix:///nonexistent.sock", devices: ["0"], gpuMode: .env)
        ]
        configuration.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.01)
        for directory in [configuration.logsDirectory, configuration.outputsDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        self.configuration = configuration
        database = try AppDatabase(path: configuration.databasePath, durable: false)
        live = LiveConfiguration(configuration, path: nil)
        executor = ContainerExecutor(
            configuration: configuration,
            engines: ["local": engine],
            instance: "test-instance",
            capabilities: capabilities,
            logger: logger
        )
    }

    /// Submits `spec` and claims it onto `local`, as the scheduler would; returns the claimed job.
    func claimed(_ spec: JobSpec = JobSpec(image: "img", command: ["run"])) async throws -> JobRecord {
        _ = try await database.submit([spec], ownerUID: 0)
        let (claimed, _) = try await database.claimNext(
            hosts: [HostCapacity(name: "local", devices: ["0"])],
            policy: .strict
        )
        guard let job = claimed.first else { throw HarnessError.nothingClaimed }
        return job
    }

    /// The runner of `job`'s current attempt.
    func runner(_ job: JobRecord) -> AttemptRunner {
        AttemptRunner(
            job: job,
            database: database,
            executor: executor,
            live: live,
            logger: logger,
            statistics: statistics
        )
    }

    /// A scheduler over the fake engine (not started; tests call its reconciliation steps).
    func scheduler() -> Scheduler {
        Scheduler(
            database: database,
            executor: executor,
            registry: HostRegistry(hosts: ["local"], drained: []),
            live: live,
            readiness: Readiness {},
            statistics: statistics,
            logger: logger
        )
    }

    /// The job as stored now.
    func stored(_ id: String) async throws -> JobRecord { try await database.job(id).job }

    enum HarnessError: Error { case nothingClaimed }
}
