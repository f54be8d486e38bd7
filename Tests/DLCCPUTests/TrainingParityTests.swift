// Training steps on the CPU back end against the reference interpreter: the same training
// graph (`TrainingGraph.build`), the same initial state and batches; losses, outputs and
// every updated state tensor (parameters, momentum buffers, step count) must agree.
import DLCCore
import DLCCPU
import DLCReference
import DLCTraining
import XCTest

final class TrainingParityTests: XCTestCase {
    /// Largest |a − b| over the tensor, relative to the largest |b| (at least `floor`).
    func relativeError(_ a: HostTensor, _ b: HostTensor, floor: Double = 1e-12) -> Double {
        let u = a.doubles, v = b.doubles
        guard u.count == v.count else { return .infinity }
        var diff = 0.0, scale = floor
        for i in u.indices {
            diff = max(diff, abs(u[i] - v[i]))
            scale = max(scale, abs(v[i]))
        }
        return diff.isNaN ? .infinity : diff / scale
    }

    /// Runs `steps` training steps of `path` at batch `batch` on both back ends and compares.
    func checkTraining(_ path: String, batch: Int, steps: Int, optimizer: OptimizerConfig, tolerance: Double,
                       movementTolerance: Double,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try CPUTest.model(path)
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: optimizer), registry: CPUTest.registry)
        let bindings = ["N": batch]
        let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: true)
        let ex = try Executor(plan: plan)
        let initial = ParameterInitializer.initialize(g, seed: 7)
        try ex.setState(initial)
        var refState = initial
        let lrType = g.inputNodes.first { $0.attributes["name"]?.stringValue == TrainingGraph.learningRateInput }
            .map { g[$0.outputs[0]].type.dtype } ?? .f32
        let reference = ReferenceInterpreter(registry: CPUTest.registry)
        var losses: [(cpu: Double, ref: Double)] = []
        var feed = CPUTest.inputs(g, bindings: bindings, seed: 100)
        for step in 0..<steps {
            feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [optimizer.lr]).converted(to: lrType)
            let cpu = try ex.run(inputs: feed)
            let ref = try reference.run(g, inputs: feed, parameters: refState, seed: 0, training: true)
            for (name, v) in ref.updates { refState[name] = v }
            let lc = cpu[TrainingGraph.lossOutput]!.doubles[0], lr = ref.outputs[TrainingGraph.lossOutput]!.doubles[0]
            losses.append((lc, lr))
            XCTAssertEqual(lc, lr, accuracy: tolerance * max(1, abs(lr)), "\(path) step \(step): loss", file: file, line: line)
            CPUTest.assertClose(cpu, ref.outputs.merging(ref.losses) { a, _ in a }, tolerance: tolerance,
                                "\(path) step \(step)", file: file, line: line)
        }
        // Every state tensor after the last step, and how far the parameters moved: the
        // movement itself (new − initial) must agree, not only the (large) parameter values.
        var worst = (0.0, "")
        for slot in plan.state {
            let c = try ex.state(named: slot.name), r = refState[slot.name]!
            let e = relativeError(c, r)
            if e > worst.0 { worst = (e, slot.name) }
            XCTAssertLessThanOrEqual(e, tolerance, "\(path): state \(slot.name)", file: file, line: line)
            guard slot.trainable, let w0 = initial[slot.name] else { continue }
            let moveCPU = HostTensor(shape: c.shape, f64: zip(c.doubles, w0.doubles).map { $0 - $1 })
            let moveRef = HostTensor(shape: r.shape, f64: zip(r.doubles, w0.doubles).map { $0 - $1 })
            XCTAssertLessThanOrEqual(relativeError(moveCPU, moveRef), movementTolerance, "\(path): movement of \(slot.name)",
                                     file: file, line: line)
        }
        XCTAssertLessThan(losses.last!.ref, losses.first!.ref, "\(path): the loss should fall on these batches: \(losses)",
                          file: file, line: line)
        print("\(path): losses \(losses.map { "\($0.cpu) / \($0.ref)" }), worst state error \(worst.0) (\(worst.1))")
    }

    func testLeNet5TrainingStepsMatchReference() throws {
        var sgd = OptimizerConfig(kind: .sgd, lr: 0.05)
        sgd.momentum = 0.9
        try checkTraining("models/lenet5.dlg", batch: 8, steps: 3, optimizer: sgd, tolerance: 1e-4,
                          movementTolerance: 1e-4)
    }

    func testLeNet5AdamStepsMatchReference() throws {
        // Adam's first steps move every weight by about lr · g/(|g| + eps): with the default eps
        // a gradient of 1e-7 moves as far as one of 1, so rounding in tiny gradients shows.
        // A larger eps keeps the comparison about the gradients.
        var adam = OptimizerConfig(kind: .adam, lr: 0.001)
        adam.eps = 1e-3
        try checkTraining("models/lenet5.dlg", batch: 4, steps: 2, optimizer: adam, tolerance: 1e-4, movementTolerance: 1e-3)
    }
}
