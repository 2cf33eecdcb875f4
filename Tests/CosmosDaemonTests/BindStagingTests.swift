import CosmosDomain
import DockerEngine
import Foundation
import TarArchive
import Testing

@testable import CosmosDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// `staging = "bind"`: `/cosmos` as a folder of the daemon's, on the fake engine and on disk.
@Suite("Bind staging")
struct BindStagingTests {
    @Test("an engine that sees the daemon's files gets /cosmos bound: no archive calls, outputs collected, folder gone")
    func boundAttempt() async throws {
        let harness = try RunnerHarness(capabilities: .all)
        harness.engine.setSharesFiles(true)
        harness.engine.setScript(.init(exitCode: 0, logLines: ["done"], outputs: ["a.txt": "A", "sub/b.txt": "B"]))
        let job = try await harness.claimed()
        let folder = harness.executor.stagingFolder(for: job)
        await harness.runner(job).run(adopting: false)

        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded, "\(stored.error ?? "")")
        #expect(stored.outputs == ["a.txt", "sub/b.txt"])
        let collected = harness.configuration.outputsDirectory + "/" + job.id + "/sub/b.txt"
        #expect(try String(contentsOfFile: collected, encoding: .utf8) == "B")
        let verbs = Set(harness.engine.calls.map { String($0.split(separator: " ")[0]) })
        #expect(verbs.isDisjoint(with: ["put", "archive", "stat"]), "\(verbs)")
        #expect(harness.engine.containers.first?.cosmosFolder == nil, "the container was removed")
        #expect(!folder.exists, "the folder goes with its attempt")
    }

    @Test("an engine that does not see the daemon's files (auto) keeps the archive: no folder is made")
    func archiveWhenNotShared() async throws {
        let harness = try RunnerHarness()
        harness.engine.setScript(.init(exitCode: 0, outputs: ["a.txt": "A"]))
        let job = try await harness.claimed()
        let config = try await harness.executor.containerConfig(for: job)
        #expect(config.hostConfig.mounts?.contains { $0.target == "/cosmos" } != true)
        #expect(!harness.executor.stagingFolder(for: job).exists)
    }

    @Test("a daemon without CAP_DAC_OVERRIDE and CAP_FOWNER keeps the archive on an engine that shares its files")
    func archiveWithoutCapabilities() async throws {
        let harness = try RunnerHarness(capabilities: ProcessCapabilities(effective: 1 << 1))
        harness.engine.setSharesFiles(true)
        let job = try await harness.claimed()
        let config = try await harness.executor.containerConfig(for: job)
        #expect(config.hostConfig.mounts?.contains { $0.target == "/cosmos" } != true)
        #expect(!harness.engine.calls.contains { $0.hasPrefix("create cosmos-staging-probe-") }, "no probe needed")
    }

    @Test("an engine that cannot see the staging folder (a daemon in its own container) refuses the probe: archive")
    func archiveWhenProbeRefused() async throws {
        let harness = try RunnerHarness(capabilities: .all)
        harness.engine.setSharesFiles(true)
        harness.engine.setSeesDaemonFiles(false)
        harness.engine.setScript(.init(exitCode: 0, outputs: ["a.txt": "A"]))
        let job = try await harness.claimed()
        await harness.runner(job).run(adopting: false)

        let stored = try await harness.stored(job.id)
        #expect(stored.state == .succeeded && stored.outputs == ["a.txt"], "\(stored.error ?? "")")
        #expect(harness.engine.calls.filter { $0.hasPrefix("create cosmos-staging-probe-") }.count == 1)
        #expect(harness.engine.calls.contains { $0.hasPrefix("put ") }, "staged as an archive")
        let left = try FileManager.default.contentsOfDirectory(atPath: harness.executor.stagingDirectory)
        #expect(left.isEmpty, "the probe folder is removed: \(left)")
    }

    @Test(
        "the probe runs once per host: its container, and one a crash left, are removed; later attempts reuse the answer"
    )
    func probeOnce() async throws {
        let harness = try RunnerHarness(capabilities: .all)
        harness.engine.setSharesFiles(true)
        harness.engine.insert(
            .init(id: "left", name: "cosmos-staging-probe-old", labels: [ContainerLabel.stagingProbe: "test-instance"])
        )
        harness.engine.insert(
            .init(id: "other", name: "cosmos-staging-probe-x", labels: [ContainerLabel.stagingProbe: "other-instance"])
        )
        let first = try await harness.claimed()
        _ = try await harness.executor.containerConfig(for: first)
        _ = try await harness.executor.containerConfig(for: first)
        let probes = harness.engine.calls.filter { $0.hasPrefix("create cosmos-staging-probe-") }
        #expect(probes.count == 1, "\(harness.engine.calls)")
        #expect(harness.engine.containers.map(\.id) == ["other"], "only another instance's probe is left")
    }

    @Test("capabilities come from the CapEff line of /proc/PID/status")
    func capabilitiesParsed() throws {
        let status = "Name:\tcosmos-worker\nCapInh:\t0000000000000000\nCapEff:\t000000000000000a\nCapBnd:\t0\n"
        let parsed = try #require(ProcessCapabilities(status: status))
        #expect(parsed.has(ProcessCapabilities.dacOverride) && parsed.has(ProcessCapabilities.fowner))
        #expect(parsed.managesContainerFiles && !parsed.has(0))
        #expect(ProcessCapabilities(status: "Name:\tx\n") == nil)
        #expect(ProcessCapabilities(status: "CapEff:\tzz\n") == nil)
        #expect(!ProcessCapabilities(effective: 1 << 1).managesContainerFiles)
        #expect(!ProcessCapabilities.none.managesContainerFiles && ProcessCapabilities.all.managesContainerFiles)
    }

    @Test("the configuration binds the folder read-write at /cosmos, after the operator's mounts")
    func mountInConfiguration() throws {
        let host = HostConfiguration(
            name: "h",
            docker: "unix:///x.sock",
            devices: ["0"],
            mounts: [HostMount(source: "/srv/models", target: "/models")]
        )
        let job = ReconcileRulesTests().job(.starting, attempts: 1)
        let config = ContainerExecutor.containerConfig(
            for: job,
            host: host,
            mode: .env,
            instance: "i1",
            stagingFolder: "/state/staging/j1.1"
        )
        let mounts = try #require(config.hostConfig.mounts)
        #expect(mounts.map(\.target) == ["/models", "/cosmos"])
        #expect(mounts.last?.source == "/state/staging/j1.1" && mounts.last?.readOnly == false)
    }

    @Test("the folder holds what the archive would: modes, the epoch on out/, copied files")
    func writtenLikeTheArchive() throws {
        try Self.withFolder { folder, scratch in
            let input = scratch + "/clip.mp4"
            try Data("frames".utf8).write(to: URL(fileURLWithPath: input))
            try folder.write([
                .directory(path: "cosmos", mode: 0o755),
                .directory(path: "cosmos/out", mode: 0o777, mtime: Date(timeIntervalSince1970: 0)),
                .directory(path: "cosmos/in", mode: 0o755),
                .bytes(path: "cosmos/job.json", contents: Array("{}".utf8), mode: 0o644),
                .file(path: "cosmos/in/clip.mp4", url: URL(fileURLWithPath: input), mode: 0o644),
            ])
            #expect(Self.mode(folder.path + "/out") == 0o777 && Self.mtime(folder.path + "/out") == 0)
            #expect(Self.mode(folder.path + "/job.json") == 0o644)
            #expect(try String(contentsOfFile: folder.path + "/in/clip.mp4", encoding: .utf8) == "frames")
            // A copy, not a link: the container cannot change the user's file.
            #expect(Self.inode(folder.path + "/in/clip.mp4") != Self.inode(input))
        }
    }

    @Test("what the container left behind is never followed: a linked out/ yields nothing, cancel replaces a link")
    func linksNotFollowed() async throws {
        try await Self.withFolderAsync { folder, scratch in
            let victim = scratch + "/victim"
            try Data("keep".utf8).write(to: URL(fileURLWithPath: victim))
            try FileManager.default.createDirectory(atPath: scratch + "/host", withIntermediateDirectories: true)
            try Data("host file".utf8).write(to: URL(fileURLWithPath: scratch + "/host/secret"))
            try folder.create()
            try FileManager.default.createSymbolicLink(
                atPath: folder.path + "/out",
                withDestinationPath: scratch + "/host"
            )
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/cancel", withDestinationPath: victim)

            let files = try await folder.collectOutputs(into: URL(fileURLWithPath: scratch + "/collected"))
            #expect(files.isEmpty && !FileManager.default.fileExists(atPath: scratch + "/collected/secret"))
            try folder.replaceFile("cancel", contents: Array("2\n".utf8))
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep")
            #expect(try String(contentsOfFile: folder.path + "/cancel", encoding: .utf8) == "2\n")
            try folder.remove()
            #expect(!folder.exists && FileManager.default.fileExists(atPath: scratch + "/host/secret"))
        }
    }

    @Test("folder names parse back to job and attempt; other names are not the daemon's")
    func names() {
        #expect(StagingFolder.parse(StagingFolder.name(job: "m2q8r5t1wz", attempt: 3))! == ("m2q8r5t1wz", 3))
        #expect(StagingFolder.parse("notes") == nil && StagingFolder.parse("x.y") == nil)
    }

    @Test("an engine that maps users (rootless, userns-remap) or labels for SELinux does not share the daemon's files")
    func mapsUsers() throws {
        func info(_ options: String) throws -> DockerInfo {
            let json = #"{"Name":"h","ServerVersion":"20.10","NCPU":2,"MemTotal":1,"SecurityOptions":"# + options + "}"
            return try JSONDecoder().decode(DockerInfo.self, from: Data(json.utf8))
        }
        #expect(try !info(#"["name=seccomp,profile=default"]"#).mapsUsers)
        #expect(try info(#"["name=seccomp,profile=default","name=rootless"]"#).mapsUsers)
        #expect(try info(#"["name=userns"]"#).mapsUsers)
        #expect(try info(#"["name=selinux"]"#).labelsForSELinux && !info(#"["name=selinux"]"#).mapsUsers)
        #expect(try !info(#"["name=seccomp,profile=default"]"#).labelsForSELinux)
    }

    // MARK: Support

    static func withFolder(_ body: (StagingFolder, String) throws -> Void) throws {
        let scratch = NSTemporaryDirectory() + "cosmos-staging-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try body(StagingFolder(root: scratch + "/staging", job: "j1", attempt: 1), scratch)
    }

    static func withFolderAsync(_ body: (StagingFolder, String) async throws -> Void) async throws {
        let scratch = NSTemporaryDirectory() + "cosmos-staging-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await body(StagingFolder(root: scratch + "/staging", job: "j1", attempt: 1), scratch)
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    static func mtime(_ path: String) -> Int? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mtim.tv_sec : nil
    }

    static func inode(_ path: String) -> UInt? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt(info.st_ino) : nil
    }
}
