import CosmosDomain
import Testing

/// Seed 000's test list for smart batching, on the pure planner.
@Suite("Smart batching planner")
struct SmartBatchPlannerTests {
    typealias Planner = SmartBatchPlanner

    func job(
        _ id: String,
        _ controls: [String: Double] = ["edge": 0.5],
        kind: JobKind = .inference,
        image: String = "cosmos:1",
        prompt: String? = nil,
        params: [String: JSONValue] = [:]
    ) -> Planner.Candidate {
        Planner.Candidate(
            jobID: id,
            spec: JobSpec(
                name: id,
                kind: kind,
                image: image,
                command: ["run"],
                prompt: prompt ?? "a prompt for \(id)",
                controls: controls,
                params: params
            )
        )
    }

    func plan(_ queue: [Planner.Candidate], _ mode: Planner.Mode = .strict, limits: Planner.Limits = .init())
        -> Planner.Plan
    {
        Planner.plan(queue, mode: mode, limits: limits)
    }

    // MARK: Control signatures

    @Test("control signature: one control")
    func signatureSingle() {
        #expect(JobSpec(image: "i", controls: ["edge": 0.5]).activeControls == ["edge"])
    }

    @Test("control signature: several controls, sorted")
    func signatureMultiple() {
        #expect(
            JobSpec(image: "i", controls: ["seg": 0.2, "depth": 1, "edge": 0.5]).activeControls
                == ["depth", "edge", "seg"]
        )
    }

    @Test("control signature: no controls")
    func signatureNone() {
        #expect(JobSpec(image: "i").activeControls.isEmpty)
    }

    @Test("control signature: a zero weight is no control, so {edge: 0.5, depth: 0} is (edge)")
    func signatureZeroWeights() {
        #expect(JobSpec(image: "i", controls: ["edge": 0.5, "depth": 0]).activeControls == ["edge"])
        let queue = [job("a", ["edge": 0.5, "depth": 0]), job("b", ["edge": 0.9])]
        #expect(plan(queue).groups.map(\.jobIDs) == [["a", "b"]])
    }

    // MARK: Strict grouping

    @Test("strict: identical controls form one group")
    func strictIdentical() {
        let result = plan((1...4).map { job("j\($0)") })
        #expect(result.groups.map(\.jobIDs) == [["j1", "j2", "j3", "j4"]])
        #expect(result.groups.first?.controls == ["edge"] && result.groups.first?.limit == 8)
        #expect(result.excluded.isEmpty && result.jobsBefore == 4 && result.runsAfter == 1)
    }

    @Test("strict: different control signatures make separate groups")
    func strictMixedControls() {
        let queue = [job("e1"), job("d1", ["depth": 1]), job("e2"), job("d2", ["depth": 0.3])]
        let result = plan(queue)
        #expect(result.groups.map(\.jobIDs) == [["e1", "e2"], ["d1", "d2"]])
        #expect(result.groups.map(\.controls) == [["edge"], ["depth"]])
    }

    @Test("strict: a signature with more jobs than its limit fills groups in queue order")
    func strictLimits() {
        let result = plan((1...10).map { job("j\($0)") })
        #expect(result.groups.map(\.size) == [8, 2])
        #expect(result.groups[0].jobIDs == (1...8).map { "j\($0)" })
        let two = plan((1...5).map { job("k\($0)", ["edge": 1, "depth": 1]) })
        #expect(two.groups.map(\.size) == [4], "two controls: at most 4")
        #expect(two.excluded.map(\.jobID) == ["k5"], "the fifth has no partner left")
    }

    @Test("strict: prompts and per-item params differ freely; run-level params split groups")
    func strictDifferentPrompts() {
        let queue = [
            job("a", prompt: "a red car", params: ["seed": .number(1)]),
            job("b", prompt: "a blue bus at night, raining", params: ["seed": .number(2)]),
            job("c", params: ["steps": .number(10)]),
            job("d", params: ["steps": .number(10)]),
        ]
        #expect(plan(queue).groups.map(\.jobIDs) == [["a", "b"], ["c", "d"]])
    }

    // MARK: Mixed grouping

    @Test("mixed: jobs with different controls share a run, so there are fewer runs than in strict mode")
    func mixedOverhead() {
        let queue = [job("e1"), job("d1", ["depth": 1]), job("e2"), job("d2", ["depth": 1])]
        let strict = plan(queue, .strict)
        let mixed = plan(queue, .mixed)
        #expect(strict.runsAfter == 2 && mixed.runsAfter == 1)
        #expect(mixed.groups.map(\.jobIDs) == [["e1", "d1", "e2", "d2"]])
    }

    @Test("mixed: the master controls are the union of the group's controls")
    func mixedMasterBatch() {
        let queue = [job("a", ["edge": 1]), job("b", ["depth": 1]), job("c", ["edge": 0.5, "depth": 0.5])]
        let result = plan(queue, .mixed)
        #expect(result.groups.count == 1)
        #expect(result.groups[0].controls == ["depth", "edge"] && result.groups[0].limit == 4)
    }

    @Test("mixed: the limit follows the master set's size")
    func mixedLimits() {
        // Two one-control jobs merge under a master set of two (at most 4); a third control would allow only 2.
        let queue = [job("a", ["edge": 1]), job("b", ["depth": 1]), job("c", ["seg": 1]), job("d", ["vis": 1])]
        let result = plan(queue, .mixed)
        for group in result.groups {
            #expect(group.size <= group.limit)
            #expect(
                group.limit == SmartBatchPlanner.Limits().limit(image: "cosmos:1", controls: group.controls.count).limit
            )
        }
        #expect(result.groups.map(\.jobIDs) == [["a", "b"], ["c", "d"]])
    }

    @Test("mixed: groups with most controls in common merge first, and a merge past the limit is not made")
    func mixedMasterSelection() {
        let queue = [
            job("e", ["edge": 1]),
            job("d", ["depth": 1, "seg": 1]),
            job("ds", ["depth": 0.5, "seg": 0.5]),
            job("e2", ["edge": 0.2]),
            job("es", ["edge": 0.4, "seg": 0.4]),
        ]
        let result = plan(queue, .mixed)
        // (edge) and (edge, seg) share edge: they merge to a master set of two, 3 items within 4.
        // (depth, seg) would make three controls with them: 5 items over the limit of 2.
        #expect(result.groups.map(\.jobIDs) == [["e", "e2", "es"], ["d", "ds"]])
        #expect(result.groups.map(\.controls) == [["edge", "seg"], ["depth", "seg"]])
        #expect(result.groups.map(\.limit) == [4, 4])
    }

    // MARK: Safe sizes

    @Test("safe size: one control holds 8")
    func safeSizeOne() {
        #expect(Planner.Limits().limit(image: "i", controls: 1).limit == 8)
        #expect(Planner.Limits().limit(image: "i", controls: 0).limit == 8, "no controls count as one")
    }

    @Test("safe size: two controls hold 4")
    func safeSizeTwo() {
        #expect(Planner.Limits().limit(image: "i", controls: 2).limit == 4)
    }

    @Test("safe size: three or more controls hold 2")
    func safeSizeThreePlus() {
        #expect(Planner.Limits().limit(image: "i", controls: 3).limit == 2)
        #expect(Planner.Limits().limit(image: "i", controls: 6).limit == 2)
    }

    @Test("safe size: --max-batch lowers the limit, never raises it; the configuration sets it")
    func safeSizeOverride() {
        #expect(Planner.Limits(maxBatch: 3).limit(image: "i", controls: 1) == (3, "--max-batch 3"))
        #expect(Planner.Limits(maxBatch: 30).limit(image: "i", controls: 1).limit == 8)
        let configured = Planner.Limits(configured: BatchRun.Limits(oneControl: 5))
        #expect(configured.limit(image: "i", controls: 1).limit == 5)
        let result = plan((1...7).map { job("j\($0)") }, limits: Planner.Limits(maxBatch: 3))
        #expect(result.groups.map(\.size) == [3, 3] && result.excluded.map(\.jobID) == ["j7"])
    }

    @Test("a limit learned from an out-of-memory run lowers that image's groups and says so")
    func learnedLimit() {
        let limits = Planner.Limits(learned: [
            .init(image: "cosmos:1", controls: 1, host: "gpu-a", maxItems: 2),
            .init(image: "other:1", controls: 1, host: "gpu-a", maxItems: 1),
        ])
        let result = plan((1...4).map { job("j\($0)") }, limits: limits)
        #expect(result.groups.map(\.size) == [2, 2])
        #expect(result.groups.first?.limitNote == "lowered to 2 after an out-of-memory run on host gpu-a")
        #expect(limits.limit(image: "cosmos:1", controls: 2).limit == 4, "another control count keeps its limit")
    }

    // MARK: State

    @Test("invalidation: any change to the candidates or the running jobs changes the fingerprint")
    func invalidation() {
        let queue = [job("a"), job("b"), job("c")]
        let base = Planner.fingerprint(queue, active: ["r1"])
        #expect(Planner.fingerprint(queue, active: ["r1"]) == base, "the same queue has the same fingerprint")
        var held = queue
        held[1].held = true
        var changedSpec = queue
        changedSpec[2].spec.controls = ["edge": 0.7]
        var priority = queue
        priority[0].spec.priority = 5
        var paused = queue
        paused[0].pausedBatch = "b1"
        let variants = [
            Planner.fingerprint(queue + [job("d")], active: ["r1"]),  // submit
            Planner.fingerprint(Array(queue.dropLast()), active: ["r1"]),  // cancel
            Planner.fingerprint([queue[1], queue[0], queue[2]], active: ["r1"]),  // move
            Planner.fingerprint(held, active: ["r1"]),  // hold
            Planner.fingerprint(priority, active: ["r1"]),  // priority
            Planner.fingerprint(changedSpec, active: ["r1"]),  // spec change
            Planner.fingerprint(paused, active: ["r1"]),  // a paused batch
            Planner.fingerprint(queue, active: []),  // a job finished
            Planner.fingerprint(Array(queue.dropFirst()), active: ["r1", "a"]),  // a job started
        ]
        for variant in variants { #expect(variant != base) }
        #expect(Set(variants).count == variants.count)
    }

    // MARK: Edge cases

    @Test("an empty queue gives an empty plan")
    func empty() {
        let result = plan([])
        #expect(result.groups.isEmpty && result.excluded.isEmpty && result.jobsBefore == 0 && result.runsAfter == 0)
    }

    @Test("a single job stays alone, with its reason")
    func single() {
        let result = plan([job("a")])
        #expect(result.groups.isEmpty)
        #expect(
            result.excluded == [
                .init(
                    jobID: "a",
                    reason: "no other queued job has the same image, command, settings and controls (edge)"
                )
            ]
        )
    }

    @Test("enhance, upscale, held, paused-batch and batch-run jobs are excluded with their reasons")
    func nonBatchable() {
        var held = job("held")
        held.held = true
        var paused = job("paused")
        paused.pausedBatch = "b7"
        var parent = job("parent")
        parent.shape = .batchParent
        let result = plan([job("enh", kind: .enhance), job("up", kind: .upscale), held, paused, parent])
        #expect(result.groups.isEmpty)
        #expect(
            result.excluded.map(\.reason) == [
                "enhance jobs are not batchable: only inference jobs share a model",
                "upscale jobs are not batchable: only inference jobs share a model",
                "held",
                "its batch b7 is paused",
                "already part of a batch run",
            ]
        )
    }

    @Test("all different controls: strict makes no group, mixed pairs them under the 3+ limit")
    func allDifferent() {
        let queue = [job("a", ["edge": 1]), job("b", ["depth": 1]), job("c", ["seg": 1])]
        let strict = plan(queue)
        #expect(strict.groups.isEmpty && strict.excluded.count == 3 && strict.runsAfter == 3)
        let mixed = plan(queue, .mixed)
        #expect(mixed.groups.map(\.jobIDs) == [["a", "b"]] && mixed.excluded.map(\.jobID) == ["c"])
    }

    @Test("batchable and non-batchable jobs mixed: groups form around the excluded ones, reasons keep queue order")
    func batchableAndNot() {
        let queue = [job("a"), job("u", kind: .upscale), job("b"), job("x", image: "other:1"), job("c")]
        let result = plan(queue)
        #expect(result.groups.map(\.jobIDs) == [["a", "b", "c"]])
        #expect(result.excluded.map(\.jobID) == ["u", "x"])
        #expect(result.runsAfter == 3 && result.jobsBefore == 5)
    }

    @Test("order: a job moves up only to its group's first place, never past a job ahead of that")
    func order() {
        let queue = [job("a"), job("d1", ["depth": 1]), job("b"), job("d2", ["depth": 1]), job("c")]
        let result = plan(queue)
        let position = Dictionary(uniqueKeysWithValues: queue.enumerated().map { ($1.jobID, $0) })
        for group in result.groups {
            let first = position[group.jobIDs[0]]!
            #expect(group.jobIDs.map { position[$0]! } == group.jobIDs.map { position[$0]! }.sorted())
            #expect(first == group.jobIDs.map { position[$0]! }.min())
        }
    }

    @Test("a failing item fails alone: the others keep their outputs")
    func failingItem() {
        let manifest = BatchRun.Manifest(items: [
            .init(index: 0, status: "succeeded", outputs: ["0/out.mp4"]),
            .init(index: 1, status: "failed", error: "CUDA error"),
            .init(index: 2, status: "succeeded", outputs: ["2/out.mp4"]),
        ])
        let verdicts = BatchRun.verdicts(
            indices: [0, 1, 2],
            manifest: manifest,
            files: ["0/out.mp4", "2/out.mp4"],
            manifestError: nil
        )
        #expect(
            verdicts == [
                0: .succeeded(outputs: ["0/out.mp4"]),
                1: .failed(error: "CUDA error"),
                2: .succeeded(outputs: ["2/out.mp4"]),
            ]
        )
    }
}
