// The inference rewrites on the CPU back end: folded and unfolded plans agree (batch-norm
// parameters and running statistics made random, so the fold is not near the identity),
// dropout leaves the inference plan but not the training step, the state-derived steps run
// once per state and again after new weights, their results keep bytes of their own, and a
// folded .dlp file runs (as `dlc run` does) to the unfolded plan's outputs.
import DLCCore
import DLCCPU
import DLCData
import DLCDriver
import DLCReference
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

final class InferenceRewriteParityTests: XCTestCase {
    /// A model's inference graph after the execution passes, with or without the inference rewrites.
    func prepared(_ path: String, inference: Bool) throws -> Graph {
        let g = try CPUTest.model(path)
        try PlanExport.prepareForInference(g, registry: CPUTest.registry)
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: inference)
        return g
    }

    /// Initial parameters with every batch norm's γ, β, μ and σ² random (σ² in [0.55, 1.45]).
    func weights(_ g: Graph, seed: UInt64) -> [String: HostTensor] {
        var w = ParameterInitializer.initialize(g, seed: seed)
        var k = seed
        for bn in g.nodes(op: "batch_norm") {
            for (i, v) in bn.inputs.dropFirst().enumerated() {
                let p = g.producer(of: v)
                guard p.op == "param", let name = p.attributes["name"]?.stringValue, let old = w[name] else { continue }
                k &+= 1
                let r = CPUTest.random(old.dtype, old.shape, seed: k, positive: i == 0 || i == 3)
                w[name] = i == 3 ? HostTensor(shape: old.shape, f64: r.doubles.map { $0 + 0.5 }).converted(to: old.dtype) : r
            }
        }
        return w
    }

    /// Runs the model's folded and unfolded inference plans on the same weights and inputs.
    func assertFoldedMatchesUnfolded(_ path: String, batch: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let plain = try prepared(path, inference: false), folded = try prepared(path, inference: true)
        XCTAssertFalse(plain.nodes(op: "batch_norm").isEmpty, path, file: file, line: line)
        XCTAssertEqual(folded.nodes(op: "batch_norm").count, 0, "\(path): every batch norm folds", file: file, line: line)
        let bindings = PlanExport.bindings(plain, batch: batch)
        let p1 = try ExecutionPlan.build(plain, bindings: bindings, registry: CPUTest.registry)
        let p2 = try ExecutionPlan.build(folded, bindings: bindings, registry: CPUTest.registry)
        XCTAssertLessThan(p2.stepsPerRun, p1.stepsPerRun, "\(path): kernels per run", file: file, line: line)
        XCTAssertGreaterThan(p2.stateDerivedStepCount, 0, path, file: file, line: line)
        let w = weights(plain, seed: 7)
        let e1 = try Executor(plan: p1), e2 = try Executor(plan: p2)
        try e1.setState(w)
        try e2.setState(w)
        let inputs = CPUTest.inputs(plain, bindings: bindings, seed: 3)
        CPUTest.assertClose(try e2.run(inputs: inputs), try e1.run(inputs: inputs), tolerance: 1e-5, path, file: file, line: line)
    }

    func testDigitsResNetFolds() throws { try assertFoldedMatchesUnfolded("models/digits_resnet.dlg", batch: 4) }

    func testResNet18Folds() throws { try assertFoldedMatchesUnfolded("models/resnet18.dlg", batch: 1) }

    func testDeepResidualFolds() throws { try assertFoldedMatchesUnfolded("models/deep_residual.dlg", batch: 2) }

    /// The GAN's generator: dense layers followed by batch norm ([N, C]).
    func testGANGeneratorFolds() throws { try assertFoldedMatchesUnfolded("models/gan.dlg", batch: 3) }

    /// Dropout is gone from the inference plan (no random step, no mask) and still samples in
    /// the training step.
    func testDropoutLeavesOnlyTheInferencePlan() throws {
        let inference = try prepared("models/digits_mlp.dlg", inference: true)
        XCTAssertEqual(inference.nodes(op: "dropout_mask").count, 0)
        let plan = try ExecutionPlan.build(inference, bindings: ["N": 2], registry: CPUTest.registry)
        XCTAssertFalse(plan.steps.contains { $0.kernel == .random || $0.kernel == .fill }, PlanPrinter().print(plan))
        let unrewritten = try prepared("models/digits_mlp.dlg", inference: false)
        XCTAssertFalse(unrewritten.nodes(op: "dropout_mask").isEmpty)

        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/digits_mlp.dlg"))
        let g = try XCTUnwrap(r.graphs.first)
        _ = try TrainingGraph.build(g, options: TrainConfig(try XCTUnwrap(r.trainSections.first)).training, registry: CPUTest.registry)
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: false)
        let training = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry, training: true)
        XCTAssertTrue(training.steps.contains { $0.kernel == .random })
        XCTAssertEqual(training.stateDerivedStepCount, 0, "a training step marks nothing state-derived")
    }

    /// The folded weights are computed on the first run only, again after setState, and the
    /// outputs after new weights equal a fresh executor's with those weights.
    func testStateDerivedStepsRunOncePerState() throws {
        let g = try prepared("models/digits_resnet.dlg", inference: true)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry)
        XCTAssertTrue(PlanPrinter().print(plan).contains("[once per state]"))
        let inputs = CPUTest.inputs(g, bindings: ["N": 2], seed: 4)
        let first = weights(g, seed: 1), second = weights(g, seed: 2)
        let e = try Executor(plan: plan)
        try e.setState(first)
        let a = try e.run(inputs: inputs)
        XCTAssertEqual(try e.run(inputs: inputs), a)
        XCTAssertEqual(e.stateDerivedRuns, 1)
        try e.setState(second)
        let b = try e.run(inputs: inputs)
        XCTAssertEqual(e.stateDerivedRuns, 2)
        XCTAssertNotEqual(a, b)
        let fresh = try Executor(plan: plan)
        try fresh.setState(second)
        XCTAssertEqual(try fresh.run(inputs: inputs), b)
        // One tensor changed by name is a change too.
        let name = try XCTUnwrap(first.keys.first { $0.hasSuffix("running_var") })
        try e.setState(first[name]!, named: name)
        _ = try e.run(inputs: inputs)
        XCTAssertEqual(e.stateDerivedRuns, 3)
    }

    /// The results of state-derived steps that other steps read share their bytes with no other
    /// arena buffer (they must survive from one run to the next).
    func testStateDerivedResultsKeepTheirBytes() throws {
        let g = try prepared("models/deep_residual.dlg", inference: true)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry)
        let roots = plan.buffers.indices.filter { plan.buffers[$0].region == .arena && plan.buffers[$0].viewOf == nil }
        var persistent = Set<Int>()
        for s in plan.steps where !s.stateDerived {
            for x in s.inputs {
                var r = x
                while let v = plan.buffers[r].viewOf { r = v }
                if plan.buffers[r].region == .arena, plan.steps.contains(where: { $0.stateDerived && $0.outputs.contains(r) }) {
                    persistent.insert(r)
                }
            }
        }
        XCTAssertFalse(persistent.isEmpty)
        for p in persistent {
            let a = plan.buffers[p]
            for q in roots where q != p {
                let b = plan.buffers[q]
                XCTAssertTrue(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset,
                              "b\(p) (\(a.name)) overlaps b\(q) (\(b.name))")
            }
        }
    }

    /// A folded plan written as a .dlp file and run from .npy inputs (`dlc run`) gives the
    /// unfolded plan's outputs; a file whose state-derived flags differ from this lowering is refused.
    func testFoldedPlanFileRunsLikeTheUnfoldedPlan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-fold-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = try CPUTest.model("models/digits_resnet.dlg")
        try PlanExport.prepareForInference(g, registry: CPUTest.registry)
        let w = weights(g, seed: 9)
        let dlp = dir.appendingPathComponent("folded.dlp").path
        try PlanExport.write(g, weights: w, batch: 3, to: dlp, registry: CPUTest.registry)
        XCTAssertEqual(g.nodes(op: "batch_norm").count, 0, "the stored graph is the folded one")

        let plain = try prepared("models/digits_resnet.dlg", inference: false)
        let inputs = CPUTest.inputs(plain, bindings: ["N": 3], seed: 6)
        let npy = dir.appendingPathComponent("image.npy").path
        try Npy.write(inputs["image"]!, to: npy)
        let outputs = try PlanExport.run(planPath: dlp, inputs: ["image": npy], registry: CPUTest.registry)
        let e = try Executor(plan: try ExecutionPlan.build(plain, bindings: ["N": 3], registry: CPUTest.registry))
        try e.setState(w)
        CPUTest.assertClose(outputs, try e.run(inputs: inputs), tolerance: 1e-5, "folded .dlp")

        // The same file read back with a plan whose flags were changed before writing.
        var plan = try ExecutionPlan.build(g, bindings: ["N": 3], registry: CPUTest.registry)
        let i = try XCTUnwrap(plan.steps.firstIndex { $0.stateDerived })
        plan.steps[i].stateDerived = false
        let bytes = try PlanFile.encode(plan, graph: g, weights: w)
        XCTAssertThrowsError(try PlanFile.decode(bytes, registry: CPUTest.registry, source: "f.dlp")) {
            XCTAssertTrue("\($0)".contains("f.dlp: the plan was written by a different lowering"), "\($0)")
        }
    }
}
