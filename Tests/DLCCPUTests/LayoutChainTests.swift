// Convolution and pooling stacks that stay in oneDNN's layouts between steps (the
// assign-layouts pass's marks, kept where the plan allows), and weights converted once per
// state change in inference plans (OneDNN+Layouts.swift).
import DLCCore
import DLCCPU
import DLCPasses
import DLCReference
import DLCTraining
import XCTest

final class LayoutChainTests: XCTestCase {
    static let stack = """
    model Stack {
      input image: f32[N, 3, 12, 12]
      a = conv2d(image, 8, kernel: 3, padding: 1)
      b = maxpool2d(a, 2)
      c = conv2d(b, 16, kernel: 3)
      d = avgpool2d(c, 2)
      output logits = dense(flatten(d), 5)
    }
    """

    /// The stack after the inference passes (assign-layouts among them).
    static func optimizedStack() throws -> Graph {
        let g = try CPUTest.graph(stack)
        try Pipelines.prepareForExecution(g, registry: CPUTest.registry, inference: true)
        return g
    }

    func testConvolutionAndPoolingResultsReadOnlyByThemStayInOneDNNLayouts() throws {
        let g = try Self.optimizedStack()
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry, training: false)
        let chained = plan.layoutChainBuffers()
        let names = Set(chained.map { plan.buffers[$0].name })
        // a, b and c are read only by poolings and convolutions; d is flattened (a view) for the dense layer.
        XCTAssertEqual(names.count, 3, "\(names)")
        for s in plan.steps where s.kernel == .pooling || s.kernel == .convolution {
            if s.outputs[0] == plan.steps.last(where: { $0.kernel == .pooling })?.outputs[0] {
                XCTAssertFalse(chained.contains(s.outputs[0]), "the last pooling's result is read as a plain tensor")
            } else {
                XCTAssertTrue(chained.contains(s.outputs[0]), "\(s.op) result stays in oneDNN's layout")
            }
        }
    }

    /// Without the pass nothing stays in a oneDNN layout between steps.
    func testWithoutThePassEveryResultIsPlain() throws {
        let g = try CPUTest.graph(Self.stack)
        try Pipelines.prepareForExecution(g, registry: CPUTest.registry, disabled: ["assign-layouts"], inference: true)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry, training: false)
        XCTAssertTrue(plan.layoutChainBuffers().isEmpty)
    }

    /// A model's `layout: native` is kept only where a step reads the result so; a kept result
    /// that a reshape (or an activation, or the caller) reads also gets its plain copy; the plan
    /// computes the same as the reference.
    func testAModelsNativeMarksAreKeptOnlyWhereThePlanAllows() throws {
        let g = try CPUTest.graph("""
        model M {
          input x: f32[N, 2, 8, 8]
          param w: f32[4, 2, 3, 3]
          param v: f32[3, 4, 3, 3]
          a = convolution(x, w, padding: 1, layout: native)
          output pooled = maxpool2d(a, 2, layout: native)
          b = convolution(x, w, layout: native)
          output r = relu(b)
          c = avgpool2d(a, 2, layout: native)
          output flat = flatten(c)
          output d = convolution(c, v, padding: 1)
        }
        """)
        let bindings = ["N": 2]
        let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: false)
        XCTAssertEqual(Set(plan.layoutChainBuffers().map { plan.buffers[$0].name }), ["a", "c"])
        XCTAssertEqual(plan.plainCopies().map { plan.buffers[$0].name }, ["c"])
        let params = ParameterInitializer.initialize(g, seed: 3), inputs = CPUTest.inputs(g, bindings: bindings, seed: 5)
        let ex = try Executor(plan: plan)
        try ex.setState(params)
        let ref = try ReferenceInterpreter(registry: CPUTest.registry).run(g, inputs: inputs, parameters: params, seed: 3)
        CPUTest.assertClose(try ex.run(inputs: inputs), ref.outputs, tolerance: 1e-4, "marked plan")
    }

    func testChainedInferenceMatchesTheReferenceBeforeAndAfterNewWeights() throws {
        let g = try Self.optimizedStack()
        let bindings = ["N": 3]
        let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: false)
        let ex = try Executor(plan: plan)
        let inputs = CPUTest.inputs(g, bindings: bindings, seed: 4)
        for seed in [UInt64(1), 2] {
            // New weights must reach the kernels that read them in a converted layout.
            let params = ParameterInitializer.initialize(g, seed: seed)
            try ex.setState(params)
            for _ in 0..<2 {
                let cpu = try ex.run(inputs: inputs)
                let ref = try ReferenceInterpreter(registry: CPUTest.registry).run(g, inputs: inputs, parameters: params, seed: seed)
                CPUTest.assertClose(cpu, ref.outputs, tolerance: 1e-4, "weights of seed \(seed)")
            }
        }
    }

    /// In a training plan the kept results are read by oneDNN steps and by kernels of our own
    /// that may read them in place (the pooling gradient, the ReLU gradient's fused program, the
    /// bias gradient's sum): none needs a plain copy written after its step.
    func testTrainingPlansKeepResultsForTheirOwnKernelsWithoutPlainCopies() throws {
        let g = try CPUTest.model("models/lenet5.dlg")
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)), registry: CPUTest.registry)
        try Pipelines.prepareForExecution(g, registry: CPUTest.registry, inference: false)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry, training: true)
        let kept = plan.layoutChainBuffers()
        XCTAssertEqual(kept.count, 4)
        XCTAssertEqual(plan.plainCopies(), [])
        let readers: Set<KernelKind> = [.convolution, .deconvolution, .pooling, .convolutionBackwardWeight, .poolingBackward,
                                        .fused, .reduce]
        for b in kept {
            XCTAssertTrue(plan.steps.filter { $0.inputs.contains(b) }.allSatisfy { readers.contains($0.kernel) }, plan.buffers[b].name)
        }
    }
}
