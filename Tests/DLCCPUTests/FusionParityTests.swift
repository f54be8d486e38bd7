// Fusion (`fuse-epilogue` and `fuse-elementwise`, run by ExecutionPasses) must not change results: on
// every model of models/ (dropout included: random streams do not depend on step indices),
// the fused and the unfused plans give the same outputs (inference) and
// the same loss, outputs and state after one SGD-momentum training step (the momentum buffers
// after it are the gradients), within 1e-5; the fused plans have fewer kernels.
import DLCCore
import DLCCPU
import DLCDriver
import DLCReference
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

final class FusionParityTests: XCTestCase {
    static let batch = 2

    var modelPaths: [String] {
        let dir = Repository.root.appendingPathComponent("models")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".dlg") }.sorted().map { "models/\($0)" }
    }

    /// Model `index` of the file (a fresh compilation each time), nil past its last model.
    func compiled(_ path: String, model index: Int = 0) throws -> Graph? {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent(path))
        guard r.status == 0, index < r.graphs.count else { return nil }
        return r.graphs[index]
    }

    func bindings(_ g: Graph) -> [String: Int] {
        var b: [String: Int] = [:]
        for node in g.inputNodes { for case .symbol(let s) in g[node.outputs[0]].type.shape { b[s] = Self.batch } }
        return b
    }

    /// Matmuls and convolutions fused with their epilogues over all comparisons.
    var fusedMatMuls = 0, fusedConvolutions = 0

    /// Runs both graphs (the second fused) once with the same state and inputs.
    func compare(_ plain: Graph, _ fused: Graph, training: Bool, _ what: String) throws -> (Int, Int) {
        try ExecutionPasses.run(fused, registry: CPUTest.registry, inference: !training)
        fusedMatMuls += fused.nodes.filter { $0.op == "fused_matmul" }.count
        fusedConvolutions += fused.nodes.filter { $0.op == "fused_convolution" }.count
        XCTAssertFalse(fused.nodes.contains { $0.op == "fused_elementwise" && $0.outputs.isEmpty }, what)
        let b = bindings(plain)
        let p1 = try ExecutionPlan.build(plain, bindings: b, registry: CPUTest.registry, training: training)
        let p2 = try ExecutionPlan.build(fused, bindings: b, registry: CPUTest.registry, training: training)
        let e1 = try Executor(plan: p1), e2 = try Executor(plan: p2)
        let params = ParameterInitializer.initialize(plain, seed: 3)
        try e1.setState(params)
        try e2.setState(params.filter { name, _ in p2.state.contains { $0.name == name } })
        var feed = CPUTest.inputs(plain, bindings: b, seed: 11)
        // Class labels within the fewest classes any cross-entropy of the model has (transfer_digits' pretraining: 5).
        let classes = plain.nodes.filter { $0.op == "cross_entropy" }.compactMap { plain[$0.inputs[0]].type.shape.last?.value }.min()
        for node in plain.inputNodes where classes != nil {
            let name = node.attributes["name"]?.stringValue ?? ""
            if let t = feed[name], t.dtype.isInteger {
                feed[name] = CPUTest.random(t.dtype, t.shape, seed: 11, classes: classes!)
            }
        }
        if let lr = plain.inputNodes.first(where: { $0.attributes["name"]?.stringValue == TrainingGraph.learningRateInput }) {
            feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [0.01]).converted(to: plain[lr.outputs[0]].type.dtype)
        }
        let r1 = try e1.run(inputs: feed), r2 = try e2.run(inputs: feed)
        CPUTest.assertClose(r2, r1, tolerance: 1e-5, what)
        if training {
            for slot in p1.state {
                let a = try e1.state(named: slot.name), c = try e2.state(named: slot.name)
                CPUTest.assertClose(["s": c], ["s": a], tolerance: 1e-5, "\(what): state \(slot.name)")
            }
        }
        // A folded batch norm's weights are computed once per state, not on every run.
        return (p1.stepsPerRun, p2.stepsPerRun)
    }

    func testFusedAndUnfusedPlansAgreeOnEveryModel() throws {
        var checked = 0
        var models = 0
        // Every model of every file (the GAN's, the DBN's, AlexNet's two, transfer_digits' three).
        for path in modelPaths {
            for index in 0... {
                // Random ops draw from a stream keyed by their ordinal among the random steps,
                // which fusion does not change, so models with dropout are compared too.
                guard let a = try compiled(path, model: index), let b = try compiled(path, model: index) else { break }
                let what = "\(path) \(a.name)"
                models += 1
                let (k1, k2) = try compare(a, b, training: false, "\(what) inference")
                XCTAssertLessThanOrEqual(k2, k1, "\(what) inference kernels")
                // A model without a loss (minilm.dlg: inference only; the GAN's and DBN's models,
                // trained by named steps) has no training step of its own.
                guard let c = try compiled(path, model: index), let d = try compiled(path, model: index), !c.losses.isEmpty,
                      c.losses.count == 1 else { continue }
                let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent(path))
                // SGD with momentum, so that the momentum buffers after one step are the gradients
                // (Adam's first step, g/(|g|+ε), turns rounding noise in tiny gradients into ±lr).
                let section = r.trainSections.first { $0.model == c.name } ?? (r.graphs.count == 1 ? r.trainSections.first : nil)
                var options = (section.map(TrainConfig.init) ?? TrainConfig()).training
                options.optimizer = OptimizerConfig(kind: .sgd, lr: options.optimizer.lr)
                options.optimizer.momentum = 0.9
                _ = try TrainingGraph.build(c, options: options, registry: CPUTest.registry)
                _ = try TrainingGraph.build(d, options: options, registry: CPUTest.registry)
                let (t1, t2) = try compare(c, d, training: true, "\(what) training step")
                XCTAssertLessThan(t2, t1, "\(what) training-step kernels")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(models, 30, "every model of every file")
        XCTAssertGreaterThanOrEqual(checked, 5)
        XCTAssertGreaterThanOrEqual(fusedMatMuls, 10, "matmuls with a bias or activation fused into one kernel")
        // conv → relu in lenet5, digits_cnn and deep_residual's stem (inference and training);
        // in inference, where batch norms fold into their convolutions, every convolution of
        // deep_residual, digits_resnet, resnet18 and resnet50 (conv, + residual, relu): over 250.
        XCTAssertGreaterThanOrEqual(fusedConvolutions, 250, "convolutions with an activation or residual fused into one primitive")
    }
}
