import DLCCore
import DLCCPU
import DLCExperiment
import DLCReference
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

/// Memory of the training step: the planned arena shares buffers, and running steps
/// allocates nothing (resident memory stays flat over 1,000 steps).
final class MemoryTests: XCTestCase {
    func trainingGraph(_ model: String) throws -> Graph {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/\(model)"))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        let g = try XCTUnwrap(r.graphs.first)
        var options = TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.01))
        options.optimizer.momentum = 0.9
        _ = try TrainingGraph.build(g, options: options, registry: TestCompiler.registry)
        return g
    }

    func testLeNetTrainingArenaIsAtMostHalfTheNaiveSum() throws {
        let plan = try ExecutionPlan.build(try trainingGraph("lenet5.dlg"), bindings: ["N": 64], registry: TestCompiler.registry,
                                           training: true)
        XCTAssertLessThanOrEqual(plan.arenaBytes * 2, plan.naiveBytes, "arena \(plan.arenaBytes), naive \(plan.naiveBytes)")
    }

    func testAThousandStepsDoNotGrowResidentMemory() throws {
        let g = try trainingGraph("digits_mlp.dlg")
        let plan = try ExecutionPlan.build(g, bindings: ["N": 32], registry: TestCompiler.registry, training: true)
        let executor = try Executor(plan: plan)
        try executor.setState(ParameterInitializer.initialize(g, seed: 0).filter { n, _ in plan.state.contains { $0.name == n } })
        var rng = RandomSource(seed: 1)
        let feed: [String: HostTensor] = [
            "image": HostTensor(shape: [32, 1, 8, 8], f64: (0..<2048).map { _ in rng.nextDouble() }).converted(to: .f32),
            "label": HostTensor(shape: [32], storage: .i32((0..<32).map { Int32($0 % 10) })),
            TrainingGraph.learningRateInput: HostTensor(shape: [], f32: [0.01]),
        ]
        for _ in 0..<100 { _ = try executor.run(inputs: feed) }
        let before = ProcessMemory.residentBytes
        for _ in 0..<1000 { _ = try executor.run(inputs: feed) }
        let after = ProcessMemory.residentBytes
        XCTAssertGreaterThan(before, 0)
        // Outputs are returned as fresh host tensors each step; they are freed, so nothing accumulates.
        XCTAssertLessThan(after - before, 1 << 20, "resident memory grew from \(before) to \(after) bytes")
    }
}
