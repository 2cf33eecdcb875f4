import CosmosAPI
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `cosmos-worker` process with its own state directory and socket, driven by the real `cosmosctl`.
///
/// The binaries come from `$COSMOS_BIN_DIR` (set by `scripts/test.sh`), else `.build/debug`.
/// Containers it creates carry its instance label and are removed when the harness is stopped.
final class DaemonHarness: @unchecked Sendable {
    let directory: URL
    let configPath: String
    let socket: String
    var stateDirectory: String { directory.path + "/state" }
    private(set) var process: Process?
    private(set) var instance: String?

    /// The repository's root folder (for its scripts).
    static let repoRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static let binDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["COSMOS_BIN_DIR"], !dir.isEmpty { return dir }
        return repoRoot + "/.build/debug"
    }()

    /// Engines (besides the local one) whose containers of this daemon are removed on tear-down.
    var extraEngines: [String] = []

    /// A user for the daemon instead of root, as the shipped unit's `User=`, `SupplementaryGroups=` and
    /// `AmbientCapabilities=` make it (started through `setpriv`; the harness's folder becomes theirs).
    struct DaemonUser {
        var uid: UInt32
        var groups: [UInt32]
        /// Ambient capabilities by `setpriv` name, e.g. `dac_override`.
        var capabilities: [String]
    }

    /// The daemon's user; nil runs it as the test's (root).
    var user: DaemonUser?

    /// Writes a configuration with `gpus` slots on the local engine (and `extra` TOML lines in `[daemon]`).
    ///
    /// `hosts` replaces the local host with other `[[hosts]]` tables; `extra` is appended (say, `[inputs]`).
    init(
        gpus: Int = 1,
        allow: [String]? = ["cosmos-test/*"],
        daemonExtra: String = "",
        stopTimeout: Int = 2,
        hosts: String? = nil,
        extra: String = ""
    ) throws {
        let short = String(UUID().uuidString.prefix(8)).lowercased()
        directory = URL(fileURLWithPath: "/tmp/cosmos-it-\(short)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socket = directory.path + "/cosmos.sock"
        configPath = directory.path + "/config.toml"
        var toml = """
            [daemon]
            state_dir = "\(directory.path)/state"
            socket = "\(socket)"
            stop_timeout_seconds = \(stopTimeout)
            durable_commits = false
            \(daemonExtra)

            """
        if let allow {
            toml += "[images]\nallow = [\(allow.map { "\"\($0)\"" }.joined(separator: ", "))]\n\n"
        }
        toml +=
            hosts ?? """
                [[hosts]]
                name = "local"
                docker = "unix:///var/run/docker.sock"
                gpus = \(gpus)
                gpu_mode = "env"

                """
        toml += extra
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        process?.terminate()
    }

    // MARK: Daemon process

    /// Starts the daemon and waits (with a deadline) until its socket answers.
    func start(environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binDirectory + "/cosmos-worker")
        process.arguments = ["--config", configPath]
        if let user {
            try Self.chown(directory.path, to: user.uid)
            let capabilities = user.capabilities.map { "+" + $0 }.joined(separator: ",")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                [
                    "--reuid=\(user.uid)", "--regid=\(user.uid)",
                    "--groups=" + user.groups.map(String.init).joined(separator: ","),
                ]
                + (capabilities.isEmpty ? [] : ["--inh-caps=" + capabilities, "--ambient-caps=" + capabilities])
                + ["--", Self.binDirectory + "/cosmos-worker", "--config", configPath]
        }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let log =
            FileHandle(forWritingAtPath: directory.path + "/daemon.log")
            ?? {
                _ = FileManager.default.createFile(atPath: directory.path + "/daemon.log", contents: nil)
                return FileHandle(forWritingAtPath: directory.path + "/daemon.log")!
            }()
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        try waitUntil("the daemon answers on \(socket)", timeout: 60) {
            guard process.isRunning else { throw HarnessError.daemonExited(self.daemonLog()) }
            return self.ctl(["status", "--json"]).status == 0
        }
        instance = try ctlJSON(StatusView.self, ["status"]).instance
    }

    /// Gives `path` and everything under it to `uid` (its group too).
    private static func chown(_ path: String, to uid: UInt32) throws {
        let result = run("/bin/chown", ["-R", "\(uid):\(uid)", path])
        guard result.status == 0 else {
            throw HarnessError.command("chown -R \(uid) \(path)", result.status, result.stderr)
        }
    }

    /// Sends SIGTERM and waits for the process to exit; returns how long that took.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) throws -> Duration {
        guard let process, process.isRunning else { return .zero }
        let start = ContinuousClock.now
        kill(process.processIdentifier, signal)
        try waitUntil("the daemon exits", timeout: 30) { !process.isRunning }
        self.process = nil
        return ContinuousClock.now - start
    }

    /// What the daemon logged so far.
    func daemonLog() -> String {
        (try? String(contentsOfFile: directory.path + "/daemon.log", encoding: .utf8)) ?? ""
    }

    /// Stops the daemon, removes its containers and its directory.
    func tearDown() {
        _ = try? stop(signal: SIGKILL)
        if let instance {
            for engine in ["unix:///var/run/docker.sock"] + extraEngines {
                let docker = "docker -H \(engine)"
                _ = Self.run(
                    "/usr/bin/env",
                    [
                        "sh", "-c",
                        "\(docker) ps -aq --filter label=cosmos.instance=\(instance) | xargs -r \(docker) rm -f",
                    ]
                )
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: cosmosctl

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `cosmosctl --socket SOCKET args...`.
    func ctl(_ arguments: [String], stdin: String? = nil) -> Result {
        Self.run(Self.binDirectory + "/cosmosctl", ["--socket", socket] + arguments, stdin: stdin)
    }

    /// Runs cosmosctl with `--json` (before any `--`, else last) and decodes its output.
    func ctlJSON<T: Decodable>(_ type: T.Type, _ arguments: [String]) throws -> T {
        var arguments = arguments
        arguments.insert("--json", at: arguments.firstIndex(of: "--") ?? arguments.count)
        let result = ctl(arguments)
        guard result.status == 0 else {
            throw HarnessError.command(arguments.joined(separator: " "), result.status, result.stderr)
        }
        return try JSONDecoder().decode(T.self, from: Data(result.stdout.utf8))
    }

    /// Submits one job from flags and returns its id.
    func submit(_ arguments: [String]) throws -> String {
        try ctlJSON(JobView.self, ["submit"] + arguments).id
    }

    func show(_ id: String) throws -> JobView {
        try ctlJSON(JobView.self, ["show", id])
    }

    /// Waits until every job is finished, with a deadline.
    func waitFinished(_ ids: [String], timeout: Double = 120) throws -> [JobView] {
        let result = ctl(["wait"] + ids + ["--timeout", String(timeout), "--json"])
        guard result.status == 0 || result.status == 1 else {
            throw HarnessError.command("wait \(ids)", result.status, result.stderr + "\n" + daemonLog())
        }
        return try JSONDecoder().decode([JobView].self, from: Data(result.stdout.utf8))
    }

    // MARK: Processes

    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        if let input { process.standardInput = input }
        do {
            try process.run()
        } catch {
            return Result(status: -1, stdout: "", stderr: "\(error)")
        }
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    /// Runs the docker CLI (test-side inspection only; the daemon itself speaks the Engine API).
    static func docker(_ arguments: [String]) -> Result {
        run("/usr/bin/env", ["docker"] + arguments)
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case timeout(String)
    case daemonExited(String)
    case command(String, Int32, String)

    var description: String {
        switch self {
        case .timeout(let what): "timed out waiting until \(what)"
        case .daemonExited(let log): "the daemon exited; its log:\n\(log)"
        case .command(let command, let status, let stderr): "cosmosctl \(command) exited \(status): \(stderr)"
        }
    }
}

/// Polls `condition` every 100 ms until it holds, or throws after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.1)
    }
    if try condition() { return }
    throw HarnessError.timeout(what)
}

/// Runs `body` with a started daemon and always tears it down.
func withDaemon<T>(
    gpus: Int = 1,
    allow: [String]? = ["cosmos-test/*"],
    daemonExtra: String = "",
    stopTimeout: Int = 2,
    _ body: (DaemonHarness) throws -> T
) throws -> T {
    let harness = try DaemonHarness(gpus: gpus, allow: allow, daemonExtra: daemonExtra, stopTimeout: stopTimeout)
    return try run(harness, body)
}

/// Runs `body` with `harness` started and always tears it down.
func run<T>(_ harness: DaemonHarness, _ body: (DaemonHarness) throws -> T) throws -> T {
    defer { harness.tearDown() }
    try harness.start()
    do {
        return try body(harness)
    } catch {
        Issue.record("daemon log:\n\(harness.daemonLog().suffix(4000))")
        throw error
    }
}
