import CosmosAPI
import CosmosDomain
import Foundation
import Testing

@testable import CosmosCtl

/// `list --json` lays out the daemon's compact objects itself: the bytes must be JSONEncoder's own.
@Suite("Pretty JSON without decoding")
struct PrettyJSONTests {
    func encoder(_ formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting.union([.sortedKeys, .withoutEscapingSlashes])
        return encoder
    }

    @Test("a job view comes out exactly as JSONEncoder's prettyPrinted writes it")
    func jobView() throws {
        var job = JobView(
            id: "abcdefghjk",
            name: "quote \" backslash \\ tab \t brace { colon : comma , [x]",
            kind: "inference",
            state: .queued,
            position: 3,
            priority: 0,
            image: "r/cosmos:1",
            command: ["sh", "-c", "echo \"{}\""],
            gpus: 2,
            host: nil,
            devices: [],
            containerId: nil,
            exitCode: nil,
            attempts: 0,
            error: nil,
            reason: "ünïcode ✓ and / slash",
            pendingReason: "waiting",
            ownerUid: 1000,
            createdAt: "2026-12-04T10:00:00.000Z",
            startedAt: nil,
            finishedAt: nil,
            outputs: ["a/b.mp4"],
            batchId: nil,
            parentId: nil,
            batchIndex: nil,
            prompt: "a robot\nin the rain",
            controls: ["edge": 0.5],
            progress: 0.25
        )
        job.after = ["x"]
        for value in [
            job,
            {
                var empty = job; empty.controls = [:]; empty.command = []; return empty
            }(),
        ] {
            let compact = try encoder([]).encode(value)
            let expected = try encoder(.prettyPrinted).encode(value)
            #expect(PrettyJSON.format(Array(compact)) == Array(expected))
        }
    }

    @Test("nested and empty collections, numbers and literals")
    func shapes() throws {
        let value: [String: JSONValue] = [
            "a": .array([]), "b": .object([:]), "c": .array([.number(1), .object(["d": .null])]), "e": .bool(true),
            "f": .array([.array([]), .string("]")]),
        ]
        let compact = try encoder([]).encode(value)
        #expect(PrettyJSON.format(Array(compact)) == Array(try encoder(.prettyPrinted).encode(value)))
    }
}
