import AsyncAlgorithms
import CosmosDomain
import CosmosStore
import Foundation
import Hummingbird
import NIOCore

/// Writes one client's event stream: the log after its cursor, gathered in windows, aggregated, then live.
///
/// A reader task pages through the log (waking on the hub) into a bounded buffer; the writer gathers it in
/// windows of up to `windowEvents` events or `window` time, whichever comes first (swift-async-algorithms'
/// `chunks(ofCount:or:)`), and writes each window's messages. A client too slow for the buffer gets `resync`
/// and continues from the newest entry; a cursor older than the oldest kept entry gets `resync` first.
struct EventStreamer: Sendable {
    let database: AppDatabase
    let hub: EventHub
    /// The settings a new stream starts with (the `[events]` keys in force).
    let settings: @Sendable () -> EventStreamSettings
    let statistics: DaemonStatistics
    /// A named batch's progress as `batch.progress` shows it; nil when the batch is gone.
    let batchProgress: @Sendable (String) async throws -> JSONValue?

    /// What the reader hands the writer.
    enum Item: Sendable {
        case event(EventRecord)
        case resync(StreamMessage)
        case heartbeat
    }

    /// Streams entries after `since` that match `filter`; without `follow` it ends once it has caught up.
    func stream(after since: Int64, selection: EventSelection, follow: Bool, writer: inout any ResponseBodyWriter)
        async throws
    {
        let filter = selection.filter
        let settings = self.settings()
        let (items, continuation) = AsyncStream<Item>.makeStream(
            bufferingPolicy: .bufferingOldest(settings.bufferEvents)
        )
        let windows = Self.windows(items, settings: settings, clock: SuspendingClock())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await read(settings: settings, after: since, filter: filter, follow: follow, into: continuation)
            }
            for await window in windows {
                var progress: [String: JSONValue] = [:]
                if selection.derived.contains(.batchProgress) {
                    for batch in Self.batches(in: window) { progress[batch] = try await batchProgress(batch) }
                }
                let (text, counts) = Self.render(window, selection: selection, progress: progress)
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
                statistics.recordWindow(
                    events: counts.events,
                    messages: counts.messages,
                    aggregates: counts.aggregates,
                    resyncs: counts.resyncs
                )
            }
            try await group.waitForAll()
        }
    }

    /// Gathers `items` in windows that close at `windowEvents` items or every `window` on `clock`, whichever
    /// comes first; a tick with nothing gathered sends nothing.
    static func windows<Items: AsyncSequence, C: Clock>(_ items: Items, settings: EventStreamSettings, clock: C)
        -> AsyncChunksOfCountOrSignalSequence<Items, [Items.Element], AsyncTimerSequence<C>>
    where C.Duration == Duration {
        items.chunks(ofCount: settings.windowEvents, or: .repeating(every: settings.window, clock: clock))
    }

    /// What one window sent, for the statistics.
    struct WindowCounts: Equatable {
        var events = 0
        var messages = 0
        var aggregates = 0
        var resyncs = 0
    }

    /// The text of one window: aggregated events, resync markers in place, a heartbeat when nothing else.
    static func text(of window: [Item]) -> String { render(window, selection: .all, progress: [:]).text }

    /// The named batches the window's entries touch, in order of first mention.
    static func batches(in window: [Item]) -> [String] {
        var seen: Set<String> = []
        return window.compactMap { item in
            guard case .event(let event) = item, let batch = event.batchId, seen.insert(batch).inserted else {
                return nil
            }
            return batch
        }
    }

    /// The window's text and what it counted.
    ///
    /// Derived messages come first, without an id; then the entries, each message with the last sequence number
    /// it covers. A client cut off in between resumes after the last id it has, so it may see a derived message
    /// twice, never an entry twice or none at all. When the entries sent stop short of the window's last one
    /// (a type filter with derived types), a `cursor` message carries that id.
    static func render(_ window: [Item], selection: EventSelection, progress: [String: JSONValue])
        -> (text: String, counts: WindowCounts)
    {
        var text = ""
        var counts = WindowCounts()
        var run: [EventRecord] = []
        var heartbeat = false
        var lastRead: Int64?
        var lastSent: Int64?
        for item in window {
            guard case .event(let event) = item else { continue }
            if selection.derived.contains(.batchJobComplete), let message = EventAggregator.jobComplete(event) {
                text += message.text
                counts.messages += 1
            }
        }
        if selection.derived.contains(.batchProgress) {
            for batch in batches(in: window) {
                guard let snapshot = progress[batch] else { continue }
                text +=
                    StreamMessage(
                        id: nil,
                        event: EventSelection.Derived.batchProgress.rawValue,
                        data: snapshot,
                        entries: 0
                    ).text
                counts.messages += 1
            }
        }
        func flush() {
            let messages = EventAggregator.messages(run)
            if let last = run.last { lastSent = last.seq }
            counts.events += run.count
            counts.messages += messages.count
            counts.aggregates += messages.filter { $0.entries > 1 }.count
            text += messages.map(\.text).joined()
            run = []
        }
        for item in window {
            switch item {
            case .event(let event):
                lastRead = event.seq
                if selection.sends(event) { run.append(event) }
            case .resync(let message):
                flush()
                text += message.text
                counts.messages += 1
                counts.resyncs += 1
            case .heartbeat:
                heartbeat = true
            }
        }
        flush()
        if let lastRead, lastRead != lastSent {
            text += StreamMessage(id: lastRead, event: "cursor", data: .object([:]), entries: 0).text
            counts.messages += 1
        }
        return (text.isEmpty && heartbeat ? StreamMessage.heartbeat : text, counts)
    }

    /// Pages through the log into `continuation`, then (with `follow`) waits for new entries until shutdown.
    private func read(
        settings: EventStreamSettings,
        after since: Int64,
        filter: EventFilter,
        follow: Bool,
        into continuation: AsyncStream<Item>.Continuation
    ) async throws {
        let subscription = hub.subscribe()
        defer { hub.unsubscribe(subscription) }
        var cursor = try await startingCursor(since, into: continuation)
        var lastSent = ContinuousClock.now
        while !Task.isCancelled {
            let stopping = hub.isShuttingDown
            let page = try await database.events(after: cursor, filter: filter, limit: settings.pageSize)
            for event in page {
                if case .dropped = continuation.yield(.event(event)) {
                    cursor = try await overflow(into: continuation)
                    break
                }
                cursor = event.seq
                lastSent = .now
            }
            if page.count == settings.pageSize { continue }
            if !follow || stopping { return }
            await subscription.wakeup.wait(timeout: settings.heartbeat)
            if ContinuousClock.now - lastSent >= settings.heartbeat {
                continuation.yield(.heartbeat)
                lastSent = .now
            }
        }
    }

    /// Where reading starts; sends `resync` first when entries after `since` are gone or `since` is unknown.
    private func startingCursor(_ since: Int64, into continuation: AsyncStream<Item>.Continuation) async throws
        -> Int64
    {
        guard since > 0 else { return 0 }
        let oldest = try await database.oldestEventSeq()
        let latest = try await database.latestEventSeq()
        if since > latest {
            continuation.yield(
                .resync(
                    EventAggregator.resync(
                        reason: "the cursor is newer than the log",
                        oldest: oldest,
                        resumeAfter: latest
                    )
                )
            )
            return latest
        }
        if let oldest, since < oldest - 1 {
            continuation.yield(
                .resync(EventAggregator.resync(reason: "events were pruned", oldest: oldest, resumeAfter: oldest - 1))
            )
            return oldest - 1
        }
        return since
    }

    /// The buffer is full: waits until a `resync` fits, then continues after the newest entry.
    private func overflow(into continuation: AsyncStream<Item>.Continuation) async throws -> Int64 {
        let latest = try await database.latestEventSeq()
        let oldest = try await database.oldestEventSeq()
        let message = EventAggregator.resync(reason: "the client fell behind", oldest: oldest, resumeAfter: latest)
        while case .dropped = continuation.yield(.resync(message)) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return latest
    }
}

/// How event streams gather and buffer (`[events]`).
struct EventStreamSettings: Sendable, Equatable {
    /// A window closes after this long…
    var window: Duration = .milliseconds(500)
    /// …or at this many events, whichever comes first.
    var windowEvents = 10
    /// An SSE comment is sent after this long without a message.
    var heartbeat: Duration = .seconds(15)
    /// Events a client may fall behind by before it is told to resync.
    var bufferEvents = 10_000
    /// Entries read from the log at a time.
    var pageSize = 500

    /// The settings with the configured window.
    init(window: EventWindowSettings = EventWindowSettings()) {
        self.window = .milliseconds(window.windowMilliseconds)
        windowEvents = window.windowEvents
    }
}
