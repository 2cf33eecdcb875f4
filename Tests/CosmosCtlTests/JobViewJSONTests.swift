import CosmosAPI
import CosmosDomain
import Foundation
import Testing

/// The listing writes each view without JSONEncoder: its bytes must be JSONEncoder's own.
@Suite("Job view JSON written directly")
struct JobViewJSONTests {
    static func view() -> JobView {
        JobView(
            id: "abcdefghjk",
            name: nil,
            kind: "inference",
            state: .queued,
            position: 3,
            priority: -2,
            image: "r/cosmos:1",
            command: nil,
            gpus: 1,
            host: nil,
            devices: [],
            containerId: nil,
            exitCode: nil,
            attempts: 0,
            error: nil,
            reason: nil,
            pendingReason: "queue paused",
            ownerUid: 0,
            createdAt: "2026-12-04T10:00:00.000Z",
            startedAt: nil,
            finishedAt: nil,
            outputs: [],
            batchId: nil,
            parentId: nil,
            batchIndex: nil,
            prompt: nil,
            controls: [:]
        )
    }

    func expectSame(_ view: JobView, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = Array(try JobView.compactEncoder.encode(view))
        let written = try view.compactJSON()
        #expect(
            written == expected,
            "\(String(decoding: written, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self))",
            sourceLocation: sourceLocation
        )
    }

    @Test("a queued job with every optional field null")
    func plain() throws {
        try expectSame(Self.view())
    }

    @Test("every field set, nested children, dependents and upscales")
    func full() throws {
        var view = Self.view()
        view.name = "n"
        view.command = ["sh", "-c", "echo \"{}\" > /cosmos/out/x"]
        view.host = "gpu-1"
        view.devices = ["0", "1"]
        view.containerId = "c0ffee"
        view.exitCode = -1
        view.attempts = 3
        view.error = "boom"
        view.reason = "oom"
        view.startedAt = "2026-12-04T10:00:01.000Z"
        view.finishedAt = "2026-12-04T10:00:02.000Z"
        view.outputs = ["a/b.mp4", "c.txt"]
        view.batchId = "b1"
        view.parentId = "p1"
        view.batchIndex = 7
        view.prompt = "a robot in the rain"
        view.controls = ["vis": 0.5, "edge": 1, "depth": 0.25, "seg": 1e-7, "blur_strength": 0.1 + 0.2]
        view.progress = 0.125
        view.after = ["x", "y"]
        view.afterAny = ["z"]
        view.sourceJobId = "s"
        view.enhancedPrompt = "better"
        view.enhanceMode = "update"
        view.gpuSeconds = 12.345
        view.dependents = ["d"]
        view.upscales = ["u"]
        var child = Self.view()
        child.parentId = "abcdefghjk"
        child.batchIndex = 0
        view.children = [child, child]
        try expectSame(view)
    }

    @Test("every control character, quotes, backslashes, slashes and non-ASCII text")
    func strings() throws {
        var view = Self.view()
        view.prompt = String(decoding: (0..<0x20).map { UInt8($0) } + Array("\u{7f}".utf8), as: UTF8.self)
        view.name = "quote \" backslash \\ slash / é ✓ 🚀 \u{2028} \u{2029} \u{FEFF}"
        view.error = ""
        try expectSame(view)
    }

    @Test(
        "numbers as JSONEncoder writes them",
        arguments: [0, -0.0, 1, -1, 0.1, 0.5, 12.345, 1e20, 1e-7, 123_456_789.123, 4e15, 9_007_199_254_740_992, 1 / 3]
            as [Double]
    )
    func numbers(value: Double) throws {
        var view = Self.view()
        view.gpuSeconds = value
        view.progress = value
        view.controls = ["vis": value]
        try expectSame(view)
    }

    @Test("control names outside a-z and _ go through the encoder, with the same bytes")
    func oddControlNames() throws {
        var view = Self.view()
        view.controls = ["Vis": 1, "edge2": 0.5, "edge10": 0.5, "a b": 0, "": 2]
        try expectSame(view)
        view.gpuSeconds = .infinity
        #expect(throws: (any Error).self) { try view.compactJSON() }
    }
}
