import ArgumentParser
import CosmosDaemon
import Foundation
import Logging

/// `cosmos-worker`: the GPU job queue daemon. Runs in the foreground until SIGTERM.
@main
struct CosmosWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosmos-worker",
        abstract: "Runs the cosmos-worker daemon in the foreground.",
        version: CosmosWorkerVersion.current
    )

    @Option(name: .long, help: "The TOML configuration file. Without it, the embedded default is used.")
    var config: String?

    func run() async throws {
        let configuration: DaemonConfiguration
        do {
            configuration = try config.map { try DaemonConfiguration.load(path: $0) } ?? .embeddedDefault()
        } catch {
            DaemonLogging.bootstrap(level: "info")
            Logger(label: "cosmos-worker").critical("refusing to start: \(error)")
            throw ExitCode(78)
        }
        DaemonLogging.bootstrap(level: configuration.logLevel)
        let logger = Logger(label: "cosmos-worker")
        do {
            try await buildDaemon(configuration: configuration, configurationPath: config, logger: logger).run()
        } catch let error as ConfigurationError {
            logger.critical("refusing to start: \(error)")
            throw ExitCode(78)
        } catch {
            logger.critical("cosmos-worker stopped: \(error)")
            throw ExitCode.failure
        }
    }
}
