import CosmosDomain
import Foundation

/// Interruptions: a container stopped by its engine's shutdown or by someone else is not the job's own failure.
extension AttemptRunner {
    /// Why a container that ended non-zero was interrupted rather than failing on its own: its engine shut down
    /// (``Reason/engineStopped``), or someone stopped or killed it through the engine (``Reason/stoppedOutside``).
    ///
    /// nil when the job ended by itself: no `kill` or `stop` event for the container (a process that kills
    /// itself, or the kernel's OOM killer, sends none), or the daemon's own stop, which has already recorded a
    /// cancel or a requeue, so the job is no longer running this attempt.
    func interruption(_ exit: Exit, containerID: String, engine: any ContainerEngine) async -> String? {
        guard exit.code != 0, !exit.outOfMemory else { return nil }
        guard let current = try? await database.jobIfExists(job.id), current.state == .running,
            current.attempts == job.attempts
        else { return nil }
        let since = (current.startedAt ?? job.createdAt).addingTimeInterval(-2)
        let events = try? await engine.stopEvents(containerID, since: since, until: Date())
        if let events, events.isEmpty { return nil }
        // A kill or stop (or no answer): an engine that is shutting down stops answering within moments.
        if await engineGoesAway(engine) { return Reason.engineStopped }
        return events == nil ? nil : Reason.stoppedOutside
    }

    /// Whether the engine stops answering its ping within five seconds.
    private func engineGoesAway(_ engine: any ContainerEngine) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            do {
                try await engine.ping()
            } catch {
                return true
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return false
    }
}
