// The `fusedMulti` step (fuse-horizontal's `fused_elementwise_multi` nodes, Lowering+FusedMulti.swift,
// dlc_fused_multi): it computes what the unfused graph computes, over segments large enough
// to be split among threads and small ones; a result never overwrites an operand another
// segment reads; and every optimizer's training step updates all parameters with one kernel
// per update rule, with the same state as one kernel per parameter.
import DLCCore
@testable import DLCCPU
import DLCDriver
import DLCReference
import DLCTraining
import XCTest
import _DLCTestSupport

final class FusedMultiTests: XCTestCase {
    /// The graph of `source` after the execution passes, and the graph before them.
    func graphs(_ source: String) throws -> (fused: Graph, plain: Graph) {
        let fused = try CPUTest.graph(source)
        try ExecutionPasses.run(fused, registry: CPUTest.registry, inference: true)
        return (fused, try CPUTest.graph(source))
    }

    /// The CPU's results on the fused graph against the reference's on the unfused one.
    func assertMatchesReference(_ source: String, bindings: [String: Int], multiSteps: Int,
                                file: StaticString = #filePath, line: UInt = #line) throws -> ExecutionPlan {
        let (fused, plain) = try graphs(source)
        let plan = try ExecutionPlan.build(fused, bindings: bindings, registry: CPUTest.registry)
        XCTAssertEqual(plan.steps.filter { $0.kernel == .fusedMulti }.count, multiSteps, file: file, line: line)
        let inputs = CPUTest.inputs(plain, bindings: bindings, seed: 7, positive: true)
        let cpu = try Executor(plan: plan).run(inputs: inputs)
        let ref = try ReferenceInterpreter(registry: CPUTest.registry).run(plain, inputs: inputs, parameters: [:], seed: 0)
        CPUTest.assertClose(cpu, ref.outputs, tolerance: 1e-5, "fused multi", file: file, line: line)
        return plan
    }

    /// Segments of 21,000 elements (three chunks: threads share them), 5 and 1, with scalar
    /// operands; f32 and f64.
    func testSegmentsLargeAndSmallMatchTheReference() throws {
        for t in ["f32", "f64"] {
            _ = try assertMatchesReference("""
            model Multi {
              input w1: \(t)[150, 140]
              input g1: \(t)[150, 140]
              input w2: \(t)[5]
              input g2: \(t)[5]
              input w3: \(t)[]
              input g3: \(t)[]
              input lr: \(t)[]
              output a = w1 - lr * sqrt(g1 * g1 + 0.5) / (w1 + 1.0)
              output b = w2 - lr * sqrt(g2 * g2 + 0.5) / (w2 + 1.0)
              output c = w3 - lr * sqrt(g3 * g3 + 0.5) / (w3 + 1.0)
            }
            """, bindings: [:], multiSteps: 1)
        }
    }

    /// A scalar every segment reads (`s`, an arena value that dies at the step) is not
    /// overwritten by the one-element segment's result, which takes its own operand's bytes.
    func testASharedScalarIsNotOverwrittenInPlace() throws {
        let plan = try assertMatchesReference("""
        model Shared {
          input v: f32[4]
          input u: f32[3]
          input m: f32[1000, 3]
          input wa: f32[]
          input wb: f32[1000]
          s = sum(v)
          ga = sum(u)
          gb = sum(m, axes: [1])
          output a = wa - s * ga
          output b = wb - s * gb
        }
        """, bindings: [:], multiSteps: 1)
        let step = try XCTUnwrap(plan.steps.first { $0.kernel == .fusedMulti })
        let scalar = step.inputs[0], own = step.inputs[1]  // segment 0: s, ga, wa
        XCTAssertTrue(step.inPlace)
        XCTAssertEqual(plan.buffers[step.outputs[0]].offset, plan.buffers[own].offset, "the result takes its own operand's bytes")
        XCTAssertNotEqual(plan.buffers[step.outputs[0]].offset, plan.buffers[scalar].offset, "the shared scalar keeps its bytes")
    }

    /// A parameter another segment reads is not updated in place (that segment would read
    /// the new value); the other parameter is. Both end up right.
    func testAParameterAnotherSegmentReadsIsNotUpdatedInPlace() throws {
        let g = try CPUTest.graph("""
        model Cross {
          input lr: f32[]
          input ga: f32[300]
          param wa: f32[300] = zeros
          param wb: f32[300] = zeros
          output na = wa - lr * ga
          output nb = wb - lr * wa
        }
        """)
        g.updates = [NamedValue(name: "wa", value: g.outputs[0].value, location: .unknown),
                     NamedValue(name: "wb", value: g.outputs[1].value, location: .unknown)]
        g.outputs = []
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: false)
        let plan = try ExecutionPlan.build(g, bindings: [:], registry: CPUTest.registry, training: true)
        XCTAssertEqual(plan.steps.filter { $0.kernel == .fusedMulti }.count, 1)
        func inPlace(_ name: String) -> Bool {
            let u = plan.updates.first { plan.state[$0.slot].name == name }!
            return plan.buffers[u.source].viewOf == plan.state[u.slot].buffer
        }
        XCTAssertFalse(inPlace("wa"), "wb's segment reads wa")
        XCTAssertTrue(inPlace("wb"))
        let e = try Executor(plan: plan)
        let wa = (0..<300).map { Double($0) }, wb = (0..<300).map { Double($0) * 0.5 }, ga = (0..<300).map { _ in 1.0 }
        try e.setState(["wa": HostTensor(shape: [300], f64: wa).converted(to: .f32), "wb": HostTensor(shape: [300], f64: wb).converted(to: .f32)])
        _ = try e.run(inputs: ["lr": HostTensor(shape: [], f64: [0.5]).converted(to: .f32),
                               "ga": HostTensor(shape: [300], f64: ga).converted(to: .f32)])
        XCTAssertEqual(try e.state(named: "wa").doubles, wa.map { $0 - 0.5 })
        XCTAssertEqual(try e.state(named: "wb").doubles, zip(wb, wa).map { $0 - 0.5 * $1 })
    }

    /// The training configurations every optimizer is checked with.
    static let configurations: [(String, TrainingOptions)] = {
        func options(_ kind: OptimizerConfig.Kind, lr: Double = 0.01, _ change: (inout TrainingOptions) -> Void = { _ in }) -> TrainingOptions {
            var o = TrainingOptions(optimizer: OptimizerConfig(kind: kind, lr: lr))
            change(&o)
            return o
        }
        return [
            ("sgd", options(.sgd)),
            ("momentum", options(.sgd) { $0.optimizer.momentum = 0.9 }),
            ("nesterov with weight decay", options(.sgd) { $0.optimizer.momentum = 0.9; $0.optimizer.nesterov = true; $0.optimizer.weightDecay = 1e-3 }),
            ("adagrad", options(.adagrad)),
            ("rmsprop", options(.rmsprop)),
            ("rmsprop with momentum", options(.rmsprop) { $0.optimizer.momentum = 0.5 }),
            ("adam with clipping", options(.adam, lr: 1e-3) { $0.clipNorm = 0.5 }),
            ("adamw", options(.adamw, lr: 1e-3) { $0.optimizer.weightDecay = 0.01 }),
            ("momentum with l1 and l2", options(.sgd) { $0.optimizer.momentum = 0.9; $0.l1 = 1e-4; $0.l2 = 1e-3 }),
        ]
    }()

    /// The training step of a model file after the execution passes (minus `disabled`).
    func trainingGraph(_ path: String, _ options: TrainingOptions, disabled: Set<String> = []) throws -> Graph {
        let g = try CPUTest.model(path)
        _ = try TrainingGraph.build(g, options: options, registry: CPUTest.registry)
        try ExecutionPasses.run(g, registry: CPUTest.registry, disabled: disabled, inference: false)
        return g
    }

    /// Two training steps; returns every state slot after them.
    func twoSteps(_ g: Graph, bindings: [String: Int]) throws -> [String: HostTensor] {
        let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: true)
        let e = try Executor(plan: plan)
        try e.setState(ParameterInitializer.initialize(g, seed: 3).filter { name, _ in plan.state.contains { $0.name == name } })
        var feed = CPUTest.inputs(g, bindings: bindings, seed: 11)
        feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [0.01]).converted(to: .f32)
        for _ in 0..<2 { _ = try e.run(inputs: feed) }
        return try Dictionary(uniqueKeysWithValues: plan.state.map { ($0.name, try e.state(named: $0.name)) })
    }

    /// mlp and lenet5 with every optimizer: the steps that compute new parameters and optimizer
    /// state are one per distinct update program (mlp with momentum: one for all six
    /// parameters), and the state after two steps is the state computed with one fused
    /// kernel per parameter (`--disable-pass fuse-horizontal`).
    func testEveryOptimizerUpdatesAllParametersWithOneKernelPerProgram() throws {
        let bindings = ["N": 2]
        for path in ["models/mlp.dlg", "models/lenet5.dlg"] {
            for (name, options) in Self.configurations {
                let what = "\(path), \(name)"
                let g = try trainingGraph(path, options)
                let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: true)
                let sources = Set(plan.updates.filter { plan.state[$0.slot].name != TrainingGraph.stepState }.map(\.source))
                let updateSteps = plan.steps.filter { !sources.isDisjoint(with: $0.outputs) }
                let programs = Set(updateSteps.map { g.nodes[$0.node].attributes["program"] })
                XCTAssertEqual(updateSteps.count, programs.count, "\(what): one update kernel per program")
                XCTAssertTrue(updateSteps.allSatisfy { $0.kernel == .fusedMulti }, "\(what): \(updateSteps.map(\.kernel))")
                if name == "momentum" { XCTAssertEqual(updateSteps.count, 1, what) }
                let merged = try twoSteps(g, bindings: bindings)
                let separate = try twoSteps(try trainingGraph(path, options, disabled: ["fuse-horizontal"]), bindings: bindings)
                CPUTest.assertClose(merged, separate, tolerance: 1e-6, what)
            }
        }
    }
}
