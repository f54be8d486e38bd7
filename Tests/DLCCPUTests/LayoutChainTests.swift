// Convolution and pooling stacks that stay in oneDNN's layouts between steps, and weights
// converted once per state change in inference plans (OneDNN+Layouts.swift).
import DLCCore
import DLCCPU
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

    func testConvolutionAndPoolingResultsReadOnlyByThemStayInOneDNNLayouts() throws {
        let g = try CPUTest.graph(Self.stack)
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

    func testChainedInferenceMatchesTheReferenceBeforeAndAfterNewWeights() throws {
        let g = try CPUTest.graph(Self.stack)
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

    func testTrainingPlansKeepEveryResultTheBackwardPassReadsPlain() throws {
        let g = try CPUTest.model("models/lenet5.dlg")
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)), registry: CPUTest.registry)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry, training: true)
        for b in plan.layoutChainBuffers() {
            for s in plan.steps where s.inputs.contains(b) {
                XCTAssertTrue([KernelKind.convolution, .pooling].contains(s.kernel), "\(plan.buffers[b].name) is read by \(s.op)")
            }
        }
    }
}
