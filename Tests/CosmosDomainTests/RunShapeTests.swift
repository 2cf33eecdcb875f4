import CosmosDomain
import Testing

@Suite("Run shapes")
struct RunShapeTests {
    @Test("a parent shows as batch (an enhance run's as enhance_batch); single jobs and items show their kind")
    func displayedKind() {
        for kind in JobKind.allCases {
            #expect(RunShape.single.displayedKind(of: kind) == kind.rawValue)
            #expect(RunShape.batchItem.displayedKind(of: kind) == kind.rawValue)
            #expect(RunShape.batchParent.displayedKind(of: kind) == (kind == .inference ? "batch" : "\(kind)_batch"))
        }
        #expect(
            ContainerName.make(kind: .enhance, shape: .batchParent, jobID: "0123456789ab", attempt: 1)
                == "cosmos_enhance_batch_01234567_1"
        )
    }

    @Test("the stored names are single, batch_parent and batch_item; batch is no longer a kind")
    func rawValues() {
        #expect(RunShape.allCases.map(\.rawValue) == ["single", "batch_parent", "batch_item"])
        #expect(JobKind(rawValue: "batch") == nil)
        #expect(JobKind.submittable == [.inference, .enhance, .upscale])
    }
}
