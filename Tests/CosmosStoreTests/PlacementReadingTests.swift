import CosmosDomain
import Foundation
import Testing

@testable import CosmosStore

/// A scheduling round reads placement from the `gpus` column and, only when it may hold them, the spec's keys.
@Suite("Placement read from stored specs")
struct PlacementReadingTests {
    /// The request the whole decoded spec gives.
    func decoded(_ spec: JobSpec, id: String = "j1") throws -> PlacementRequest {
        spec.placementRequest(jobID: id)
    }

    /// The request the round reads from the stored text.
    func read(_ spec: JobSpec, id: String = "j1") throws -> PlacementRequest {
        let text = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        return try AppDatabase.placementRequest(id: id, gpus: spec.gpus, spec: text, decoder: JSONDecoder())
    }

    @Test(
        "what the round reads equals what the whole spec says, with and without the keys, and with their names in strings",
        arguments: [
            JobSpec(image: "img"),
            JobSpec(image: "img", gpus: 4),
            JobSpec(image: "img", minGPUMemoryGiB: 40),
            JobSpec(image: "img", selector: ["gpu": "a100"]),
            JobSpec(image: "img", gpus: 2, minGPUMemoryGiB: 80, selector: ["zone": "b"]),
            JobSpec(image: "img", command: ["echo", #""selector": {"gpu": "h100"}"#]),
            JobSpec(image: "img", prompt: "selector", params: ["selector": .string("x")]),
            JobSpec(name: "min_gpu_memory_gib", image: "img"),
        ]
    )
    func sameAsDecoded(spec: JobSpec) throws {
        #expect(try read(spec) == decoded(spec))
    }

    @Test("the byte search finds a word at the start, the middle and the end, and not a part of it")
    func byteSearch() {
        #expect(AppDatabase.mentions(#""selector":1"#, #""selector""#))
        #expect(AppDatabase.mentions(#"{"a":"selector","b":"selector"}"#, #""selector""#))
        #expect(AppDatabase.mentions(#"x"selector""#, #""selector""#))
        #expect(!AppDatabase.mentions(#"{"selecto":1}"#, #""selector""#))
        #expect(!AppDatabase.mentions(#"\"selector\""#, #""selector""#))
        #expect(!AppDatabase.mentions("", #""selector""#) && !AppDatabase.mentions(#""sel"#, #""selector""#))
    }

    @Test("a spec with a selector or a memory floor is decoded; one with neither is not")
    func decodesOnlyWhenNeeded() throws {
        // Not JSON at all: only a spec that is never decoded can pass.
        let plain = try AppDatabase.placementRequest(id: "a", gpus: 3, spec: "{not json", decoder: JSONDecoder())
        #expect(plain == PlacementRequest(jobID: "a", gpus: 3))
        #expect(throws: (any Error).self) {
            try AppDatabase.placementRequest(id: "b", gpus: 1, spec: #"{"selector" x"#, decoder: JSONDecoder())
        }
    }
}
