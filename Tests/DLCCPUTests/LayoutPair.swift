// A training step compiled with and without the assign-layouts pass, for the tests of kept
// layouts: both executors start from the same parameters and take the same batch.
@testable import DLCCPU
import DLCCore
import DLCPasses
import DLCReference
import DLCTraining
import XCTest

struct LayoutPair {
    /// The plan with kept layouts and the one without, and their executors.
    let kept: ExecutionPlan, plain: ExecutionPlan
    let withLayouts: Executor, withoutLayouts: Executor
    let feed: [String: HostTensor]

    /// `source`'s model (an input `label` of `classes` classes) at `batch`, trained by `optimizer`.
    init(_ source: String, optimizer: OptimizerConfig, batch: Int, classes: Int, seed: UInt64) throws {
        func plan(layouts: Bool) throws -> (Graph, ExecutionPlan) {
            let g = try CPUTest.graph(source)
            _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: optimizer), registry: CPUTest.registry)
            try Pipelines.prepareForExecution(g, registry: CPUTest.registry, disabled: layouts ? [] : ["assign-layouts"], inference: false)
            return (g, try ExecutionPlan.build(g, bindings: ["N": batch], registry: CPUTest.registry, training: true))
        }
        let (g, kept) = try plan(layouts: true)
        (self.kept, plain) = (kept, try plan(layouts: false).1)
        (withLayouts, withoutLayouts) = (try Executor(plan: kept), try Executor(plan: plain))
        let params = ParameterInitializer.initialize(g, seed: seed)
        try withLayouts.setState(params)
        try withoutLayouts.setState(params)
        var feed = CPUTest.inputs(g, bindings: ["N": batch], seed: seed + 1)
        feed["label"] = CPUTest.random(.i32, [batch], seed: seed + 1, classes: classes)
        feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [optimizer.lr]).converted(to: .f32)
        self.feed = feed
    }

    /// Runs both `runs` times: the losses and every parameter agree within 1e-5 after each run.
    func assertSameSteps(_ runs: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        for run in 0..<runs {
            CPUTest.assertClose(try withLayouts.run(inputs: feed), try withoutLayouts.run(inputs: feed), tolerance: 1e-5,
                                "run \(run)", file: file, line: line)
            for slot in kept.state {
                CPUTest.assertClose(["s": try withLayouts.state(named: slot.name)], ["s": try withoutLayouts.state(named: slot.name)],
                                    tolerance: 1e-5, "run \(run): \(slot.name)", file: file, line: line)
            }
        }
    }
}
