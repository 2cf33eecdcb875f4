import CosmosAPI
import CosmosDomain
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A restart of the daemon never loses or re-runs a running job.
@Suite("Restart with running jobs", .serialized)
struct RestartAdoptionIntegrationTests {
    @Test("SIGTERM leaves the container running; the next start adopts it; logs have no duplicates")
    func sigtermThenAdopt() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", "cosmos-test/busybox:latest", "--", "sh", "-c",
                "echo before; sleep 4; echo after; mkdir -p /cosmos/out; echo done > /cosmos/out/result.txt",
            ])
            try waitUntil("the job runs and has logged", timeout: 60) {
                try daemon.show(id).state == .running && daemon.ctl(["logs", id]).stdout.contains("before")
            }
            let container = try #require(try daemon.show(id).containerId)
            let stopTime = try daemon.stop()
            #expect(stopTime < .seconds(6))
            let inspect = DaemonHarness.docker(["inspect", "-f", "{{.State.Running}}", container])
            #expect(inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "true")

            try daemon.start()
            let job = try daemon.waitFinished([id], timeout: 60)[0]
            #expect(job.state == .succeeded)
            #expect(job.attempts == 1)
            #expect(job.containerId == container)
            #expect(job.outputs == ["result.txt"])
            let logs = daemon.ctl(["logs", id]).stdout
            #expect(logs.components(separatedBy: "before\n").count == 2, "\(logs)")
            #expect(logs.components(separatedBy: "after\n").count == 2, "\(logs)")
            try waitUntil("the container is removed", timeout: 15) {
                DaemonHarness.docker(["inspect", container]).status != 0
            }
        }
    }

    @Test("a job whose container vanished while the daemon was down is retried with reason container lost")
    func containerLostWhileDown() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "sleep 2; echo ok"])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let container = try #require(try daemon.show(id).containerId)
            try daemon.stop(signal: SIGKILL)
            #expect(DaemonHarness.docker(["rm", "-f", container]).status == 0)
            try daemon.start()
            let job = try daemon.waitFinished([id], timeout: 90)[0]
            #expect(job.state == .succeeded)
            #expect(job.attempts == 2)
            #expect(job.reason == "container lost")
        }
    }

    @Test("a container deleted behind the running daemon's back: the job is retried with reason container lost")
    func containerDeletedWhileRunning() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "sleep 3; echo ok"])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let container = try #require(try daemon.show(id).containerId)
            #expect(DaemonHarness.docker(["rm", "-f", container]).status == 0)
            try waitUntil("the job is retried", timeout: 60) { try daemon.show(id).attempts == 2 }
            let job = try daemon.waitFinished([id], timeout: 90)[0]
            #expect(job.state == .succeeded)
            #expect(job.attempts == 2)
            #expect(job.reason == "container lost")
            #expect(job.containerId != container)
        }
    }

    @Test("dockerd restarts while 3 jobs run: none fails for the dropped connection; each runs once, logs whole")
    func engineRestartWhileJobsRun() throws {
        let live = DaemonHarness.docker(["info", "-f", "{{.LiveRestoreEnabled}}"]).stdout
        try #require(
            live.trimmingCharacters(in: .whitespacesAndNewlines) == "true",
            "the engine needs live restore (scripts/test-env.sh turns it on)"
        )
        try withDaemon(gpus: 3) { daemon in
            let script = "for i in 1 2 3 4 5 6 7 8; do echo line-$i; sleep 1; done"
            let ids = try (0..<3).map { _ in
                try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", script])
            }
            try waitUntil("all three run and have logged", timeout: 60) {
                try ids.allSatisfy { id in
                    try daemon.show(id).state == .running && daemon.ctl(["logs", id]).stdout.contains("line-2")
                }
            }
            let containers = try ids.map { try #require(try daemon.show($0).containerId) }
            let restart = DaemonHarness.run(
                "/bin/bash",
                [DaemonHarness.repoRoot + "/scripts/test-env.sh", "restart-engine"]
            )
            #expect(restart.status == 0, "restart-engine: \(restart.stderr)")
            let jobs = try daemon.waitFinished(ids, timeout: 120)
            for (job, container) in zip(jobs, containers) {
                #expect(job.state == .succeeded, "\(job.id): \(job.reason ?? "") \(job.error ?? "")")
                #expect(job.attempts == 1)
                #expect(job.containerId == container)
                let logs = daemon.ctl(["logs", job.id]).stdout
                for line in 1...8 {
                    #expect(logs.components(separatedBy: "line-\(line)\n").count == 2, "line-\(line) in \(logs)")
                }
            }
        }
    }
}
