import DLCCore
import DLCDriver
import DLCPasses
import DLCReference
import DLCTraining
import XCTest
import _DLCTestSupport

/// The training step as one graph: it verifies, its loss falls, and clipping, penalties and
/// batch norm's running statistics do what they say.
final class TrainingGraphTests: XCTestCase {
    var registry: Registry { TestCompiler.registry }

    func model(_ source: String) throws -> Graph {
        let r = TestCompiler.compile(source)
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        return try XCTUnwrap(r.graphs.first)
    }

    static let tiny = """
        model Tiny {
          input x: f64[N, 6]
          input y: i32[N]
          h = dense(x, 8) |> tanh
          logits = dense(h, 3)
          loss ce = cross_entropy(logits, y)
        }
        """

    func batch() -> [String: HostTensor] {
        var rng = RandomSource(seed: 3)
        let x = (0..<(5 * 6)).map { _ in rng.normal() }
        return ["x": HostTensor(shape: [5, 6], f64: x), "y": HostTensor(shape: [5], storage: .i32([0, 1, 2, 1, 0]))]
    }

    func verify(_ g: Graph) {
        let d = DiagnosticEngine()
        VerifyPass().run(on: g, context: PassContext(registry: registry, diagnostics: d))
        XCTAssertEqual(d.diagnostics.map(\.message), [])
    }

    /// Runs `steps` training steps on one batch; returns the losses.
    func train(_ g: Graph, steps: Int, lr: Double, inputs: [String: HostTensor]) throws -> ([Double], [String: HostTensor]) {
        var state = ParameterInitializer.initialize(g, seed: 1)
        var losses: [Double] = []
        let lrType = g.inputNodes.first { $0.attributes["name"]?.stringValue == TrainingGraph.learningRateInput }
        let lrTensor = HostTensor(shape: [], f64: [lr]).converted(to: lrType.map { g[$0.outputs[0]].type.dtype } ?? .f64)
        for _ in 0..<steps {
            var feed = inputs
            feed[TrainingGraph.learningRateInput] = lrTensor
            let r = try ReferenceInterpreter(registry: registry).run(g, inputs: feed, parameters: state)
            losses.append(r.outputs[TrainingGraph.lossOutput]!.doubles[0])
            for (name, v) in r.updates { state[name] = v }
        }
        return (losses, state)
    }

    func testTheLossFallsWithEveryOptimizer() throws {
        for kind in OptimizerConfig.Kind.allCases {
            let g = try model(Self.tiny)
            var options = TrainingOptions(optimizer: OptimizerConfig(kind: kind, lr: 0.1))
            options.optimizer.momentum = kind == .sgd ? 0.9 : 0
            _ = try TrainingGraph.build(g, options: options, registry: registry)
            verify(g)
            let (losses, _) = try train(g, steps: 25, lr: kind == .sgd || kind == .adagrad ? 0.1 : 0.01, inputs: batch())
            XCTAssertLessThan(losses.last!, losses.first! * 0.5, "\(kind): \(losses)")
        }
    }

    func testUpdatesCoverEveryParameterAndTheStepCount() throws {
        let g = try model(Self.tiny)
        var options = TrainingOptions(optimizer: OptimizerConfig(kind: .adam, lr: 0.01))
        options.optimizer.beta1 = 0.8
        let step = try TrainingGraph.build(g, options: options, registry: registry)
        XCTAssertEqual(Set(step.gradients.keys), ["h.weight", "h.bias", "logits.weight", "logits.bias"])
        let names = Set(g.updates.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["train.step", "h.weight", "optimizer.exp_avg.h.weight", "optimizer.exp_avg_sq.logits.bias"]))
        XCTAssertEqual(g.updates.count, 1 + 4 * 3)
    }

    func testClippingBoundsTheUpdate() throws {
        let g = try model(Self.tiny)
        var options = TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 1))
        options.clipNorm = 1e-3
        _ = try TrainingGraph.build(g, options: options, registry: registry)
        let before = ParameterInitializer.initialize(g, seed: 1)
        let (_, after) = try train(g, steps: 1, lr: 1, inputs: batch())
        var squared = 0.0
        for name in ["h.weight", "h.bias", "logits.weight", "logits.bias"] {
            for (a, b) in zip(after[name]!.doubles, before[name]!.doubles) { squared += (a - b) * (a - b) }
        }
        XCTAssertEqual(squared.squareRoot(), 1e-3, accuracy: 1e-6)  // lr · clip: the gradient norm exceeds the bound
    }

    func testPenaltiesAddToTheLoss() throws {
        let plain = try model(Self.tiny), penalized = try model(Self.tiny)
        _ = try TrainingGraph.build(plain, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)), registry: registry)
        var options = TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1))
        options.l1 = 0.01
        options.l2 = 0.1
        _ = try TrainingGraph.build(penalized, options: options, registry: registry)
        let a = try train(plain, steps: 1, lr: 0.1, inputs: batch()).0[0]
        let b = try train(penalized, steps: 1, lr: 0.1, inputs: batch()).0[0]
        let w = ParameterInitializer.initialize(penalized, seed: 1)
        let weights = w["h.weight"]!.doubles + w["logits.weight"]!.doubles
        let expected = 0.01 * weights.reduce(0) { $0 + abs($1) } + 0.1 * weights.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(b - a, expected, accuracy: 1e-9)
    }

    func testBatchNormRunningStatisticsFollowTheBatch() throws {
        let g = try model("""
            model B {
              input x: f64[N, 2, 3, 3]
              input y: i32[N]
              h = conv2d(x, 2, kernel: 1) |> batchnorm |> relu
              logits = flatten(h) |> dense(3)
              loss ce = cross_entropy(logits, y)
            }
            """)
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)), registry: registry)
        XCTAssertTrue(g.updates.contains { $0.name == "h.batchnorm.running_mean" })
        XCTAssertTrue(g.updates.contains { $0.name == "h.batchnorm.running_var" })
        var rng = RandomSource(seed: 9)
        let x = HostTensor(shape: [4, 2, 3, 3], f64: (0..<72).map { _ in rng.normal() * 2 + 5 })
        let (_, state) = try train(g, steps: 1, lr: 0.1, inputs: ["x": x, "y": HostTensor(shape: [4], storage: .i32([0, 1, 2, 0]))])
        // After one step from zeros, running_mean = 0.1 · (batch mean of the convolution's output).
        XCTAssertNotEqual(state["h.batchnorm.running_mean"]!.doubles, [0, 0])
        XCTAssertEqual(state["train.step"]!.doubles, [1])
    }

    func testNoLossIsAClearError() throws {
        let g = try model("model M {\n  input x: f32[N, 2]\n  output y = dense(x, 2)\n}\n")
        XCTAssertThrowsError(try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)),
                                                     registry: registry)) {
            XCTAssertEqual(($0 as? DLCError)?.message, "model 'M' declares no loss to train")
        }
    }
}
