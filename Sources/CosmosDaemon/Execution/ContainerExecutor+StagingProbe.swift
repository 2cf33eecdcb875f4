import CosmosDomain
import DockerEngine
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What `staging = "auto"` means on a host: `bind` only where it is proven to work.
extension ContainerExecutor {
    /// The name prefix of the probe folders under the staging directory (``StagingFolder/parse(_:)`` skips them).
    static let stagingProbePrefix = "probe-"

    /// How `auto` resolved on one host, and why.
    struct AutoStaging: Equatable {
        /// The staging to use.
        var staging: HostConfiguration.Staging
        /// Why, for the log.
        var reason: String
        /// Whether the answer holds for as long as the daemon runs (false: ask again for the next attempt).
        var lasting: Bool
    }

    /// Resolves `auto` on `host`: bind when the engine may share the daemon's files
    /// (``ContainerEngine/sharesDaemonFiles()``: local, no user mapping, no SELinux labelling), the daemon may
    /// manage what containers write, and a container created (never started) from `image` with a fresh folder of
    /// the daemon's as a bind source is accepted, which proves that the engine sees that very folder. A daemon in a
    /// container of its own, talking to the host's engine through a mounted socket, fails the last test.
    func resolveAutoStaging(_ host: HostConfiguration, image: String) async throws -> AutoStaging {
        let engine = try engine(for: host.name)
        guard try await engine.sharesDaemonFiles() else {
            return AutoStaging(
                staging: .archive,
                reason: "the engine is remote, maps users or labels for SELinux",
                lasting: true
            )
        }
        guard capabilities.managesContainerFiles else {
            return AutoStaging(
                staging: .archive,
                reason: "the daemon lacks CAP_DAC_OVERRIDE and CAP_FOWNER, needed to read back and remove what "
                    + "containers write (see docs/hosts.md, Staging)",
                lasting: true
            )
        }
        let probe = stagingDirectory + "/" + Self.stagingProbePrefix + UUID().uuidString.lowercased()
        if mkdir(stagingDirectory, 0o700) != 0, errno != EEXIST {
            throw ExecutorError.stagingFolder("\(stagingDirectory): \(String(cString: strerror(errno)))")
        }
        guard mkdir(probe, 0o700) == 0 else {
            throw ExecutorError.stagingFolder("\(probe): \(String(cString: strerror(errno)))")
        }
        defer { rmdir(probe) }
        // A probe a crash left between its create and its remove goes now.
        let probeLabel = "\(ContainerLabel.stagingProbe)=\(instance)"
        for leftover in try await engine.list(labels: [probeLabel]) { try? await engine.remove(leftover.id) }
        var config = ContainerConfig(
            image: image,
            cmd: ["true"],
            labels: [ContainerLabel.stagingProbe: instance],
            networkDisabled: true
        )
        config.hostConfig.mounts = [.bind(source: probe, target: "/cosmos", readOnly: true)]
        let id: String
        do {
            id = try await engine.create(name: "cosmos-staging-probe-\(UUID().uuidString.lowercased())", config: config)
        } catch EngineError.rejected(let message) where message.contains("bind source path does not exist") {
            return AutoStaging(
                staging: .archive,
                reason: "the engine does not see the daemon's staging folder (\(stagingDirectory))",
                lasting: true
            )
        } catch {
            return AutoStaging(
                staging: .archive,
                reason: "the probe container could not be created (\(error)); asking again for the next attempt",
                lasting: false
            )
        }
        try? await engine.remove(id)
        return AutoStaging(staging: .bind, reason: "the engine sees the daemon's staging folder", lasting: true)
    }
}
