import CosmosDomain
import Testing

@Suite("Run shapes")
struct RunShapeTests {
    @Test("a parent shows as batch; single jobs and items show their kind")
    func displayedKind() {
        for kind in JobKind.allCases {
            #expect(RunShape.single.displayedKind(of: kind) == kind.rawValue)
            #expect(RunShape.batchItem.displayedKind(of: kind) == kind.rawValue)
            #expect(RunShape.batchParent.displayedKind(of: kind) == "batch")
        }
    }

    @Test("the stored names are single, batch_parent and batch_item; batch is no longer a kind")
    func rawValues() {
        #expect(RunShape.allCases.map(\.rawValue) == ["single", "batch_parent", "batch_item"])
        #expect(JobKind(rawValue: "batch") == nil)
        #expect(JobKind.submittable == [.inference, .enhance, .upscale])
    }
}
