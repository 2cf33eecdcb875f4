import DockerEngine
import Foundation
import Testing

/// Integration tests of the streaming endpoints: logs and events.
@Suite("Engine: logs and events", .timeLimit(.minutes(2)))
struct StreamTests {
    typealias Support = DockerTestSupport

    @Test("logs demultiplex stdout and stderr")
    func demultiplexedLogs() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("logs")
            let script = "echo out; echo err >&2; printf 'no newline'; echo err2 >&2"
            try await Support.withContainer(client, name: name, Support.shell(script)) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                _ = try await withDeadline(.seconds(20), "exit") { try await wait.result() }

                let both = try await Support.collectLogs(try await client.logs(id: id))
                #expect(both.stdout == "out\nno newline")
                #expect(both.stderr == "err\nerr2\n")

                let onlyStderr = try await Support.collectLogs(try await client.logs(id: id, stdout: false))
                #expect(onlyStderr.stdout == "")
                #expect(onlyStderr.stderr == "err\nerr2\n")

                var tailChunks: [LogChunk] = []
                for try await chunk in try await client.logs(id: id, tail: 1) {
                    tailChunks.append(chunk)
                }
                #expect(tailChunks.count == 1, "tail counts entries of both streams: \(tailChunks)")
            }
        }
    }

    @Test("logs with timestamps split into time and message")
    func timestampedLogs() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("logs-ts")
            try await Support.withContainer(client, name: name, Support.shell("echo one; echo two >&2")) { id in
                let before = Date()
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                _ = try await withDeadline(.seconds(20), "exit") { try await wait.result() }

                var lines: [(LogStreamKind, DockerTimestamp, String)] = []
                for try await chunk in try await client.logs(id: id, timestamps: true) {
                    let (timestamp, message) = try #require(chunk.splitTimestamp())
                    lines.append((chunk.stream, timestamp, String(decoding: message, as: UTF8.self)))
                }
                #expect(lines.map(\.2).sorted() == ["one\n", "two\n"])
                #expect(lines.first { $0.2 == "one\n" }?.0 == .stdout)
                #expect(lines.first { $0.2 == "two\n" }?.0 == .stderr)
                for (_, timestamp, _) in lines {
                    #expect(abs(timestamp.date.timeIntervalSince(before)) < 120)
                }

                // `since` after the last line leaves nothing.
                let latest = try #require(lines.map(\.1).max())
                let later = latest.date.addingTimeInterval(1)
                let empty = try await Support.collectLogs(try await client.logs(id: id, since: later))
                #expect(empty.stdout.isEmpty && empty.stderr.isEmpty)
            }
        }
    }

    @Test("logs of a TTY container are passed through raw as stdout")
    func ttyLogs() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("tty")
            var config = Support.shell("echo out; echo err >&2")
            config.tty = true
            try await Support.withContainer(client, name: name, config) { id in
                let wait = try await client.registerWait(id: id, condition: .nextExit)
                try await client.startContainer(id: id)
                _ = try await withDeadline(.seconds(20), "exit") { try await wait.result() }
                let logs = try await Support.collectLogs(try await client.logs(id: id))
                #expect(logs.stdout == "out\r\nerr\r\n")
                #expect(logs.stderr == "")
            }
        }
    }

    @Test("follow streams output as it is written and ends when the container exits")
    func followUntilExit() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("follow")
            let script = "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done; echo done >&2"
            try await Support.withContainer(client, name: name, Support.shell(script)) { id in
                try await client.startContainer(id: id)
                let stream = try await client.logs(id: id, follow: true)
                let logs = try await withDeadline(.seconds(30), "follow until exit") {
                    try await Support.collectLogs(stream)
                }
                #expect(logs.stdout == "line 1\nline 2\nline 3\nline 4\nline 5\n")
                #expect(logs.stderr == "done\n")
                #expect(try await client.inspectContainer(id: id).state.status == .exited)
            }
        }
    }

    @Test("a followed stream outlives the short-call read timeout")
    func noReadTimeoutOnStreams() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("silent")
            try await Support.withContainer(client, name: name, Support.shell("echo before; sleep 5; echo after")) {
                id in
                try await client.startContainer(id: id)
                // Short calls of this client time out after 2 s of silence; the stream is silent for 5 s.
                try await DockerClient.withClient(endpoint: Support.endpoint, requestTimeout: .seconds(2)) {
                    impatient in
                    let stream = try await impatient.logs(id: id, follow: true)
                    let logs = try await withDeadline(.seconds(30), "silent follow") {
                        try await Support.collectLogs(stream)
                    }
                    #expect(logs.stdout == "before\nafter\n")
                }
            }
        }
    }

    @Test("cancelling the consumer ends a followed stream of a running container")
    func cancelFollow() async throws {
        try await Support.withClient { client in
            let name = Support.uniqueName("cancel")
            try await Support.withContainer(client, name: name, Support.shell("echo start; sleep 100")) { id in
                try await client.startContainer(id: id)
                let stream = try await client.logs(id: id, follow: true)
                let (firstChunk, firstChunkSeen) = AsyncStream.makeStream(of: Void.self)
                let consumer = Task {
                    var received = 0
                    for try await chunk in stream {
                        received += chunk.bytes.count
                        firstChunkSeen.yield()
                    }
                    return received
                }
                // Cancel only once the consumer is inside the stream, blocked on the silent connection.
                try await withDeadline(.seconds(10), "first chunk") {
                    for await _ in firstChunk {
                        return
                    }
                }
                consumer.cancel()
                let outcome = try await withDeadline(.seconds(10), "cancelled consumer") {
                    await consumer.result
                }
                switch outcome {
                case .success(let received):
                    #expect(received >= 0)  // ended without error after cancellation
                case .failure:
                    break  // ended with a cancellation error
                }
                #expect(try await client.inspectContainer(id: id).state.running, "the container itself keeps running")
            }
        }
    }

    @Test("events report start and die of a labelled container")
    func events() async throws {
        try await Support.withClient { client in
            let run = UUID().uuidString
            let label = "dockerengine.test.run=\(run)"
            let stream = try await client.events(
                since: Date().addingTimeInterval(-1),
                filters: ["type": ["container"], "label": [label]]
            )
            let name = Support.uniqueName("events")
            let config = Support.shell("exit 5", labels: ["dockerengine.test.run": run])
            try await Support.withContainer(client, name: name, config) { id in
                try await client.startContainer(id: id)
                let seen = try await withDeadline(.seconds(30), "start and die events") {
                    var actions: [String: DockerEvent] = [:]
                    for try await event in stream where event.actor.id == id {
                        actions[event.action] = event
                        if actions["start"] != nil, actions["die"] != nil {
                            break
                        }
                    }
                    return actions
                }
                let start = try #require(seen["start"])
                let die = try #require(seen["die"])
                #expect(seen["create"] != nil)
                #expect(start.type == "container")
                #expect(start.actor.attributes["name"] == name)
                #expect(start.actor.attributes["dockerengine.test.run"] == run)
                #expect(die.actor.attributes["exitCode"] == "5")
                #expect(start.timeNano <= die.timeNano)
                #expect(die.time == die.timeNano / 1_000_000_000)
            }
        }
    }

    @Test("events with until in the past end by themselves")
    func finiteEvents() async throws {
        try await Support.withClient { client in
            let run = UUID().uuidString
            let start = Date()
            let name = Support.uniqueName("events-finite")
            let config = Support.shell("true", labels: ["dockerengine.test.run": run])
            try await Support.withContainer(client, name: name, config) { id in
                let created = Date().addingTimeInterval(1)
                let stream = try await client.events(
                    since: start.addingTimeInterval(-1),
                    until: created,
                    filters: ["label": ["dockerengine.test.run=\(run)"]]
                )
                let events = try await withDeadline(.seconds(20), "finite events") {
                    var events: [DockerEvent] = []
                    for try await event in stream {
                        events.append(event)
                    }
                    return events
                }
                #expect(events.map(\.action) == ["create"])
                #expect(events.first?.actor.id == id)
            }
        }
    }
}
