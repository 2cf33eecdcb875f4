import CosmosDomain
import CosmosStore
import DockerEngine
import Foundation
import Logging
import Synchronization
import TarArchive

/// Runs job attempts as containers, one engine per configured host.
///
/// It builds every container configuration itself from the job's spec and the host's configuration:
/// users never pass engine options through. Every engine call goes through ``ContainerEngine``.
final class ContainerExecutor: Sendable {
    let hosts: [String: HostConfiguration]
    let engines: [String: any ContainerEngine]
    let instance: String
    let outputsDirectory: String
    /// Where bound attempts' `/cosmos` folders live (`<state_dir>/staging`).
    let stagingDirectory: String
    /// Which inputs may be staged (checked again, for the job's owner, when staging).
    let inputs: InputSettings
    /// Images that run through a shipped adapter.
    let runners: [RunnerConfiguration]
    /// The daemon's effective capabilities, which decide whether `auto` may bind (``resolveAutoStaging(_:image:)``).
    let capabilities: ProcessCapabilities
    let logger: Logger
    /// GPU modes resolved from `auto` by asking each engine for its runtimes.
    private let resolvedModes = Mutex<[String: HostConfiguration.GPUMode]>([:])
    /// Staging resolved from `auto` by asking each engine whether it sees the daemon's files.
    private let resolvedStaging = Mutex<[String: HostConfiguration.Staging]>([:])

    /// An executor over the given engines (a fake one in tests), keyed by host name.
    init(
        configuration: DaemonConfiguration,
        engines: [String: any ContainerEngine],
        instance: String,
        capabilities: ProcessCapabilities = .current(),
        logger: Logger
    ) {
        self.engines = engines
        self.capabilities = capabilities
        self.hosts = Dictionary(uniqueKeysWithValues: configuration.hosts.map { ($0.name, $0) })
        self.instance = instance
        self.outputsDirectory = configuration.outputsDirectory
        self.stagingDirectory = configuration.stagingDirectory
        self.inputs = configuration.inputs
        self.runners = configuration.runners
        self.logger = logger
    }

    /// An executor over the Docker engines the configuration names.
    static func docker(configuration: DaemonConfiguration, instance: String, logger: Logger) throws
        -> ContainerExecutor
    {
        var engines: [String: any ContainerEngine] = [:]
        for host in configuration.hosts {
            let endpoint = try DockerEndpoint(parsing: host.docker)
            var clientLogger = logger
            clientLogger[metadataKey: "HOST"] = "\(host.name)"
            let client = try DockerClient(endpoint: endpoint, tls: host.tls, logger: clientLogger)
            engines[host.name] = DockerContainerEngine(client: client)
        }
        return ContainerExecutor(configuration: configuration, engines: engines, instance: instance, logger: logger)
    }

    /// Closes every engine connection.
    func shutdown() async {
        for engine in engines.values { await engine.shutdown() }
    }

    /// The engine of `host`.
    func engine(for host: String?) throws -> any ContainerEngine {
        guard let host, let engine = engines[host] else {
            throw ExecutorError.unknownHost(host ?? "(none)")
        }
        return engine
    }

    /// The labels that select this instance's containers.
    var instanceLabels: [String] { ["\(ContainerLabel.instance)=\(instance)"] }

    // MARK: Container configuration

    /// The whole container configuration of the job's current attempt.
    func containerConfig(for job: JobRecord) async throws -> ContainerConfig {
        guard let hostName = job.host, let host = hosts[hostName] else {
            throw ExecutorError.unknownHost(job.host ?? "(none)")
        }
        let mode = try await gpuMode(of: host)
        // The folder must exist before the create (the engine checks a bind's source). In archive mode a
        // folder left by an earlier try would make staging and collection look in the wrong place.
        let folder = stagingFolder(for: job)
        do {
            if try await staging(of: host, image: job.image) == .bind {
                try folder.create()
            } else {
                try folder.remove()
            }
        } catch let error as StagingError {
            throw ExecutorError.stagingFolder(error.description)
        }
        return Self.containerConfig(
            for: job,
            host: host,
            mode: mode,
            instance: instance,
            runner: runners.runner(for: job.image),
            stagingFolder: folder.exists ? folder.path : nil
        )
    }

    /// Builds the configuration from the job, the host and the image's runner alone (pure; unit-tested).
    ///
    /// An image with a runner runs its adapter (staged at `/cosmos/bin/`) as the command, with the runner's
    /// `shm_size` and `ipc`; nothing of the job's can set those. With a `stagingFolder`, that folder is
    /// bind-mounted (read-write) at `/cosmos`.
    static func containerConfig(
        for job: JobRecord,
        host: HostConfiguration,
        mode: HostConfiguration.GPUMode,
        instance: String,
        runner: RunnerConfiguration? = nil,
        stagingFolder: String? = nil
    ) -> ContainerConfig {
        let devices = job.devices.joined(separator: ",")
        var env = job.spec.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        env.append("NVIDIA_VISIBLE_DEVICES=\(devices.isEmpty ? "void" : devices)")
        env.append("CUDA_VISIBLE_DEVICES=\(devices)")
        env.append("COSMOS_JOB_ID=\(job.id)")
        env.append("COSMOS_ATTEMPT=\(job.attempts)")
        var hostConfig = HostConfig()
        hostConfig.networkMode = host.network
        hostConfig.memory = job.spec.memoryBytes
        hostConfig.memorySwap = job.spec.memoryBytes
        hostConfig.securityOpt = ["no-new-privileges"]
        hostConfig.pidsLimit = 4096
        hostConfig.autoRemove = false
        // The engine's init (docker-init) is PID 1: it forwards SIGTERM to the command, which as PID 1 itself
        // would have no default signal actions (Python or `sh -c` would ignore the stop and wait for SIGKILL).
        hostConfig.initProcess = true
        var mounts = host.mounts.map { Mount.bind(source: $0.source, target: $0.target, readOnly: $0.readOnly) }
        if let stagingFolder {
            mounts.append(.bind(source: stagingFolder, target: "/cosmos", readOnly: false))
        }
        if !mounts.isEmpty {
            hostConfig.mounts = mounts
        }
        if mode == .nvidia, !job.devices.isEmpty {
            hostConfig.deviceRequests = [DeviceRequest.gpus(deviceIDs: job.devices)]
        }
        var command = job.spec.command
        if let runner {
            command = ["python3", "-B", AdapterScripts.directory + "/" + runner.adapter.script]
            hostConfig.shmSize = runner.shmBytes
            hostConfig.ipcMode = runner.ipcMode?.rawValue
        }
        return ContainerConfig(
            image: job.image,
            cmd: command,
            env: env,
            labels: [
                ContainerLabel.job: job.id,
                ContainerLabel.attempt: String(job.attempts),
                ContainerLabel.instance: instance,
                ContainerLabel.kind: job.displayedKind,
            ],
            hostConfig: hostConfig
        )
    }

    /// The host's GPU mode, asking the engine once whether it has the nvidia runtime when `auto`.
    func gpuMode(of host: HostConfiguration) async throws -> HostConfiguration.GPUMode {
        guard host.gpuMode == .auto else { return host.gpuMode }
        if let mode = resolvedModes.withLock({ $0[host.name] }) { return mode }
        let runtimes = try await engine(for: host.name).runtimes()
        let mode: HostConfiguration.GPUMode = runtimes.contains("nvidia") ? .nvidia : .env
        resolvedModes.withLock { $0[host.name] = mode }
        logger.info("resolved gpu_mode auto", metadata: ["HOST": "\(host.name)", "gpu_mode": "\(mode.rawValue)"])
        return mode
    }

    /// The host's staging; `auto` is resolved once per host (``resolveAutoStaging(_:image:)``), with a
    /// container of `image` as the probe.
    func staging(of host: HostConfiguration, image: String) async throws -> HostConfiguration.Staging {
        guard host.staging == .auto else { return host.staging }
        if let staging = resolvedStaging.withLock({ $0[host.name] }) { return staging }
        let resolved = try await resolveAutoStaging(host, image: image)
        if resolved.lasting { resolvedStaging.withLock { $0[host.name] = resolved.staging } }
        logger.info(
            "resolved staging auto",
            metadata: [
                "HOST": "\(host.name)", "staging": "\(resolved.staging.rawValue)", "reason": "\(resolved.reason)",
            ]
        )
        return resolved.staging
    }

    /// The daemon-side `/cosmos` of the job's current attempt (it exists only for a bound attempt).
    func stagingFolder(for job: JobRecord) -> StagingFolder {
        StagingFolder(root: stagingDirectory, job: job.id, attempt: job.attempts)
    }

    /// Removes the attempt's staging folder, if it has one (its container is gone or is being removed).
    func discardStaging(_ job: JobRecord) {
        do {
            try stagingFolder(for: job).remove()
        } catch {
            logger.warning(
                "cannot remove a staging folder",
                metadata: ["JOB_ID": "\(job.id)", "attempt": "\(job.attempts)", "error": "\(error)"]
            )
        }
    }

    // MARK: Staging

    /// The `/cosmos/job.json` document of runner contract v1 (one line).
    static func jobDocument(for job: JobRecord) -> [UInt8] {
        let document: JSONValue = .object([
            "version": .number(1),
            "kind": .string(job.displayedKind),
            "job_id": .string(job.id),
            "attempt": .number(Double(job.attempts)),
            "spec": job.kind == .upscale ? upscaleDocument(job) : specDocument(job),
        ])
        return Array((document.jsonString() + "\n").utf8)
    }

    /// The batch form: a header line, one item per line in index order, and `]}` on a line of its own.
    static func batchDocument(for parent: JobRecord, items: [JobRecord]) -> [UInt8] {
        // An enhance run names its model (when one was chosen) in the header line.
        let model = parent.spec.enhance?.model.map { ",\"model\":" + JSONValue.string($0).jsonString() } ?? ""
        var text =
            "{\"version\":1,\"kind\":\(JSONValue.string(parent.displayedKind).jsonString()),"
            + "\"job_id\":\(JSONValue.string(parent.id).jsonString()),"
            + "\"attempt\":\(parent.attempts)\(model),\"items\":[\n"
        // A mixed smart batch's parent names the master controls (weight 0): each item gets those it lacks at 0.
        let master = parent.spec.controls.mapValues { _ in 0.0 }
        let lines = items.map { item in
            let index = item.batchIndex ?? 0
            var spec = item.spec
            spec.controls.merge(master) { own, _ in own }
            return JSONValue.object([
                "index": .number(Double(index)),
                "job_id": .string(item.id),
                "spec": specDocument(item, spec: spec, inputFolder: "/" + BatchRun.inputFolder(index: index)),
            ]).jsonString()
        }
        text += lines.joined(separator: ",\n") + (lines.isEmpty ? "" : "\n") + "]}\n"
        return Array(text.utf8)
    }

    /// One job's spec as the container sees it (inputs named by their in-container paths in `inputFolder`).
    static func specDocument(_ job: JobRecord, spec given: JobSpec? = nil, inputFolder: String = "/cosmos/in")
        -> JSONValue
    {
        let source = given ?? job.spec
        var spec: [String: JSONValue] = [
            "name": source.name.map(JSONValue.string) ?? .null,
            "kind": .string(job.displayedKind),
            "image": .string(job.image),
            "gpus": .number(Double(job.gpus)),
            "prompt": source.prompt.map(JSONValue.string) ?? .null,
            "controls": .object(source.controls.mapValues(JSONValue.number)),
            "params": .object(source.params),
            "inputs": .array(source.inputs.map { .string(inputFolder + "/" + JobSpec.inputFileName($0)) }),
        ]
        if let command = source.command { spec["command"] = .array(command.map(JSONValue.string)) }
        if let sourceID = source.sourceJobID { spec["source_job_id"] = .string(sourceID) }
        return .object(spec)
    }

    /// An upscale job's spec as the container sees it, in Cosmos's own form: the video, the control weight, and
    /// `prompt` only when one was given.
    static func upscaleDocument(_ job: JobRecord) -> JSONValue {
        var spec: [String: JSONValue] = [
            "input_video_path": job.spec.inputs.first.map { .string("/cosmos/in/" + JobSpec.inputFileName($0)) }
                ?? .null,
            "upscale": .object(["control_weight": .number(job.spec.upscale?.controlWeight ?? UpscaleDefaults.weight)]),
        ]
        if let prompt = job.spec.prompt { spec["prompt"] = .string(prompt) }
        return .object(spec)
    }

    /// The folder a job writes its outputs into.
    static let outputsFolder = "/cosmos/out"
    /// The time `/cosmos/out` is staged with: while it has it, nothing was added to the folder or removed.
    static let untouchedOutputsTime = Date(timeIntervalSince1970: 0)

    /// Copies `/cosmos/out/` back into `<outputs>/<job id>/`, refusing unsafe entries; returns the files.
    func collectOutputs(_ job: JobRecord, containerID: String) async throws -> [String] {
        let destination = URL(fileURLWithPath: outputsDirectory).appendingPathComponent(job.id)
        try? FileManager.default.removeItem(at: destination)
        let folder = stagingFolder(for: job)
        if folder.exists {
            return try await folder.collectOutputs(into: destination)
        }
        let engine = try engine(for: job.host)
        // Many jobs write nothing there. The folder's time says so (it was staged with the epoch, and adding or
        // removing an entry sets it to now) for the price of a stat; the archive costs a helper process in the
        // engine (about 50 ms of its CPU per job). When the stat fails, the archive decides.
        if let stat = try? await engine.statPath(containerID, path: Self.outputsFolder), stat.isDirectory,
            stat.mtime == DockerTimestamp(Self.untouchedOutputsTime)
        {
            return []
        }
        let archive: AsyncThrowingStream<[UInt8], any Error>
        do {
            archive = try await engine.getArchive(containerID, path: Self.outputsFolder)
        } catch let error as EngineError where EngineError.isNotFound(error) {
            return []
        }
        var extractor = try TarExtractor(destination: destination, stripComponents: 1)
        for try await chunk in archive {
            try extractor.feed(chunk)
        }
        try extractor.finish()
        return extractor.writtenFiles.sorted()
    }
}

/// Why the executor could not run an attempt.
enum ExecutorError: Error, CustomStringConvertible {
    case unknownHost(String)
    case foreignContainer(name: String, labels: [String: String])
    case inputRefused(String)
    case stagingFolder(String)

    var description: String {
        switch self {
        case .unknownHost(let host):
            "host \(host) is not in the configuration"
        case .foreignContainer(let name, let labels):
            "a container named \(name) exists with other labels (\(labels)); remove it by hand"
        case .inputRefused(let reason):
            "input refused: \(reason)"
        case .stagingFolder(let reason):
            "staging folder: \(reason)"
        }
    }
}
