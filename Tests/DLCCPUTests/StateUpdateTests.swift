// State updates written in place (Lowering+StateUpdates.swift): an elementwise step that runs
// after every other reader of a parameter writes the parameter's new value straight into its
// state; one that does not keeps the copy after the run. Both give the same state.
import DLCCore
@testable import DLCCPU
import DLCDriver
import DLCTraining
import XCTest
import _DLCTestSupport

final class StateUpdateTests: XCTestCase {
    /// A model with parameter `w` [2, 2], its update `w + 1`, and (if `readAfter`) a later
    /// read of the old `w` (output `old = w * 2`).
    func graph(readAfter: Bool) throws -> Graph {
        let g = try CPUTest.graph("""
        model T {
          input x: f32[N, 2]
          param w: f32[2, 2] = zeros
          output y = x @ w
        }
        """)
        let w = g.paramNodes[0].outputs[0], t = g[w].type, at = g[w].location
        let one = g.addNode(op: "constant", inputs: [], outputTypes: [TensorType(.f32, [])], attributes: ["value": .float(1)], location: at)
        let next = g.addNode(op: "add", inputs: [w, one.outputs[0]], outputTypes: [t], location: at)
        g.updates = [NamedValue(name: "w", value: next.outputs[0], location: at)]
        if readAfter {
            let two = g.addNode(op: "constant", inputs: [], outputTypes: [TensorType(.f32, [])], attributes: ["value": .float(2)], location: at)
            let old = g.addNode(op: "mul", inputs: [w, two.outputs[0]], outputTypes: [t], location: at)
            g.outputs.append(NamedValue(name: "old", value: old.outputs[0], location: at))
        }
        return g
    }

    func testUpdateRunsInPlaceOnlyAfterTheLastReader() throws {
        for readAfter in [false, true] {
            let g = try graph(readAfter: readAfter)
            let plan = try ExecutionPlan.build(g, bindings: ["N": 3], registry: CPUTest.registry, training: true)
            let u = plan.updates[0], target = plan.state[u.slot].buffer
            XCTAssertEqual(plan.buffers[u.source].viewOf == target, !readAfter, "read after: \(readAfter)")
            let e = try Executor(plan: plan)
            try e.setState(HostTensor(shape: [2, 2], f64: [1, 2, 3, 4]).converted(to: .f32), named: "w")
            let out = try e.run(inputs: ["x": HostTensor(shape: [3, 2], f64: [1, 0, 0, 1, 1, 1]).converted(to: .f32)])
            XCTAssertEqual(try e.state(named: "w").doubles, [2, 3, 4, 5])
            XCTAssertEqual(out["y"]?.doubles, [1, 2, 3, 4, 4, 6], "the product reads the old w")
            if readAfter { XCTAssertEqual(out["old"]?.doubles, [2, 4, 6, 8], "the later reader sees the old w") }
            _ = try e.run(inputs: ["x": HostTensor(shape: [3, 2], f64: [1, 0, 0, 1, 1, 1]).converted(to: .f32)])
            XCTAssertEqual(try e.state(named: "w").doubles, [3, 4, 5, 6])
        }
    }

    /// The MLP's training step writes every parameter and momentum in place.
    func testTrainingStepUpdatesEveryParameterInPlace() throws {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/mlp.dlg"))
        let g = try XCTUnwrap(r.graphs.first), section = try XCTUnwrap(r.trainSections.first)
        _ = try TrainingGraph.build(g, options: TrainConfig(section).training, registry: CPUTest.registry)
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: false)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 4], registry: CPUTest.registry, training: true)
        XCTAssertFalse(plan.updates.isEmpty)
        for u in plan.updates {
            XCTAssertEqual(plan.buffers[u.source].viewOf, plan.state[u.slot].buffer, plan.state[u.slot].name)
        }
    }
}
