import CosmosDomain
import Testing

@Suite("Job state machine")
struct JobStateTransitionTests {
    @Test("the normal life of a job")
    func happyPath() throws {
        var state = JobState.queued
        state = try state.applying(.claim)
        #expect(state == .starting)
        state = try state.applying(.start)
        #expect(state == .running)
        state = try state.applying(.succeed)
        #expect(state == .succeeded)
        #expect(state.isTerminal)
    }

    @Test("cancelling a finished job is refused with a clear message")
    func cancelFinished() {
        for finished in [JobState.succeeded, .failed, .cancelled] {
            #expect(throws: IllegalTransition(from: finished, event: .cancel)) { try finished.applying(.cancel) }
        }
        let error = IllegalTransition(from: .succeeded, event: .cancel)
        #expect(
            error.description
                == "cannot cancel a job that is succeeded: only queued, held, starting or running jobs can be cancelled"
        )
    }

    @Test("every state answers every event: allowed ones move, the rest are refused")
    func fullTable() {
        let allowed: [JobState: [JobEvent: JobState]] = [
            .queued: [.claim: .starting, .cancel: .cancelled, .hold: .held, .fail: .failed],
            .held: [.release: .queued, .cancel: .cancelled],
            .starting: [
                .start: .running, .succeed: .succeeded, .fail: .failed, .requeue: .queued, .cancel: .cancelled,
            ],
            .running: [.succeed: .succeeded, .fail: .failed, .requeue: .queued, .cancel: .cancelled],
            .succeeded: [:],
            .failed: [.retry: .queued],
            .cancelled: [.retry: .queued],
        ]
        let events: [JobEvent] = [.claim, .start, .succeed, .fail, .requeue, .cancel, .hold, .release, .retry]
        for state in JobState.allCases {
            for event in events {
                let result = try? state.applying(event)
                #expect(result == allowed[state]?[event], "\(state) + \(event)")
            }
        }
    }

    @Test("retry puts failed and cancelled jobs back; a held job is in the queue")
    func retryAndQueueMembership() throws {
        #expect(try JobState.failed.applying(.retry) == .queued)
        #expect(JobState.held.isInQueue && JobState.queued.isInQueue)
        #expect(!JobState.running.isInQueue && JobState.running.isActive)
    }
}

@Suite("Identifiers and names")
struct NamingTests {
    @Test("ids are short, random-looking and well formed")
    func ids() {
        let ids = (0..<2000).map { _ in JobID.make() }
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids.map { $0.prefix(8) }).count == ids.count)
        #expect(ids.allSatisfy(JobID.isWellFormed))
        #expect(!JobID.isWellFormed("../etc/pas"))
        #expect(!JobID.isWellFormed("ABCDEFGHJK"))
    }

    @Test("container names follow cosmos_{kind}_{id8}_{attempt}")
    func containerName() {
        #expect(ContainerName.make(kind: .inference, jobID: "k3x9q2mz7a", attempt: 2) == "cosmos_inference_k3x9q2mz_2")
        #expect(
            ContainerName.make(kind: .inference, shape: .batchParent, jobID: "abcdefghjk", attempt: 1)
                == "cosmos_batch_abcdefgh_1"
        )
    }

    @Test("the image allowlist matches globs")
    func allowlist() {
        let list = ImageAllowlist(patterns: ["cosmos-test/*", "nvcr.io/nvidia/cosmos/*:1.*", "exact:tag"])
        #expect(list.allows("cosmos-test/fake-model:latest"))
        #expect(list.allows("nvcr.io/nvidia/cosmos/transfer:1.2"))
        #expect(!list.allows("nvcr.io/nvidia/cosmos/transfer:2.0"))
        #expect(list.allows("exact:tag"))
        #expect(!list.allows("exact:tag2"))
        #expect(!list.allows("busybox"))
        #expect(ImageAllowlist(patterns: nil).allows("anything"))
        #expect(!ImageAllowlist(patterns: []).allows("anything"))
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("a command failure is final unless the job asked for retries")
    func commandFailures() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(!policy.shouldRetry(after: .command, attempts: 1, retries: 0))
        #expect(policy.shouldRetry(after: .command, attempts: 1, retries: 2))
        #expect(policy.shouldRetry(after: .command, attempts: 2, retries: 2))
        #expect(!policy.shouldRetry(after: .command, attempts: 3, retries: 2))
    }

    @Test("infrastructure failures retry up to max_attempts")
    func infrastructureFailures() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(policy.shouldRetry(after: .infrastructure, attempts: 1, retries: 0))
        #expect(policy.shouldRetry(after: .infrastructure, attempts: 2, retries: 0))
        #expect(!policy.shouldRetry(after: .infrastructure, attempts: 3, retries: 0))
    }

    @Test("backoff grows exponentially with jitter and is capped")
    func backoff() {
        var generator = SystemRandomNumberGenerator()
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 2, maxDelay: 60)
        for _ in 0..<100 {
            let first = policy.delay(afterAttempts: 1, using: &generator)
            #expect(first >= 1 && first <= 2)
            let third = policy.delay(afterAttempts: 3, using: &generator)
            #expect(third >= 4 && third <= 8)
            let late = policy.delay(afterAttempts: 30, using: &generator)
            #expect(late >= 30 && late <= 60)
        }
    }
}
