import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// Containers stopped from outside cosmos-worker are interruptions, not the job's own failure.
@Suite("Interruptions", .serialized)
struct InterruptionIntegrationTests {
    @Test("an external docker kill puts the job back at its place; it succeeds on its next attempt")
    func externalKill() throws {
        try withDaemon { daemon in
            let id = try daemon.submit([
                "--image", "cosmos-test/busybox:latest", "--", "sh", "-c",
                "if [ \"$COSMOS_ATTEMPT\" = 1 ]; then sleep 60; fi; echo done",
            ])
            try waitUntil("the job runs", timeout: 60) { try daemon.show(id).state == .running }
            let container = try #require(try daemon.show(id).containerId)
            let killed = DaemonHarness.docker(["kill", container])
            #expect(killed.status == 0, "\(killed.stderr)")
            let job = try daemon.waitFinished([id], timeout: 90)[0]
            #expect(job.state == .succeeded && job.attempts == 2, "\(job.state) after \(job.attempts)")
            #expect(job.reason == Reason.stoppedOutside)
            let requeued = daemon.ctl(["events", "--json", "--job", id, "--type", "job.requeued"]).stdout
            #expect(requeued.contains(Reason.stoppedOutside), "\(requeued)")
        }
    }

    @Test("a job that exits 137 by itself still fails, once")
    func exits137() throws {
        try withDaemon { daemon in
            let id = try daemon.submit(["--image", "cosmos-test/busybox:latest", "--", "sh", "-c", "exit 137"])
            let job = try daemon.waitFinished([id], timeout: 60)[0]
            #expect(job.state == .failed && job.attempts == 1 && job.exitCode == 137)
            #expect(job.reason == Reason.exitCode(137))
        }
    }
}
