import DLCCore
import DLCCPU
import DLCData
import DLCDriver
import DLCExperiment
import DLCReference
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

/// The models of `models/` trained by steps (a section with `step`s): each step, run alone
/// on a fixed batch, lowers its own objective (compared over three steps at each end, as
/// objectives that draw noise are noisy).
final class StepZooTests: XCTestCase {
    func testEveryStepsLossFallsWhenItRunsAlone() throws {
        let registry = TestCompiler.registry
        var checked = 0
        for url in Repository.modelFiles {
            let r = try TestCompiler.compile(file: url)
            for section in r.trainSections where !section.steps.isEmpty {
                let config = TrainConfig(section)
                for (name, _) in section.steps {
                    let g = try XCTUnwrap(section.stepGraphs[name], "\(url.lastPathComponent): step \(name)")
                    _ = try TrainingGraph.build(g, options: config.training, registry: registry)
                    let e = try Executor(plan: try PlanCache(graph: g, registry: registry, training: true).plan(bindings: ["N": 16]))
                    e.seed = 1
                    try e.setState(ParameterInitializer.initialize(g, seed: 1))
                    var feed = Zoo.batch(g, size: 16)
                    feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [config.training.optimizer.lr]).converted(to: .f32)
                    var losses: [Double] = []
                    for _ in 0..<12 { losses.append(try e.run(inputs: feed)[TrainingGraph.lossOutput]!.doubles[0]) }
                    XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(url.lastPathComponent) \(name): \(losses)")
                    XCTAssertLessThan(losses.suffix(3).reduce(0, +), losses.prefix(3).reduce(0, +), "\(url.lastPathComponent) \(name): \(losses)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 2, "models/gan.dlg has two steps")
    }
}

/// The GAN trained with its file's settings makes digits a classifier recognizes: of the
/// last sample grid's 64 images, at least 60% are classified with confidence above 0.9 by
/// DigitsCNN trained with models/digits_cnn.dlg. Slow (trains both); in the bar suite.
final class GANBarTests: XCTestCase {
    func testGeneratedDigitsAreRecognized() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-gan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gan = try Trainer(registry: TestCompiler.registry).train(try Zoo.source("gan.dlg"), options: RunOptions(runsDirectory: dir))
        let run = try XCTUnwrap(gan.runDirectory)
        let last = String(format: "%03d", gan.epochs.count)
        let samples = try Npy.read(run + "/samples/epoch-\(last).npy").tensor
        let count = samples.shape[0]

        let (classifier, _) = try Zoo.train("digits_cnn.dlg")
        let compiled = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/digits_cnn.dlg"))
        let g = try XCTUnwrap(compiled.graphs.first)
        let e = try Executor(plan: try PlanCache(graph: g, registry: TestCompiler.registry, training: false).plan(bindings: ["N": count]))
        let names = Set(g.paramNodes.compactMap { $0.attributes["name"]?.stringValue })
        try e.setState(classifier.parameters.filter { names.contains($0.key) })
        let probs = try XCTUnwrap(try e.run(inputs: ["image": samples.converted(to: .f32),
                                                     "label": HostTensor.zeros(.i32, shape: [count])])["probs"]).doubles
        var confident = 0
        var classes = [Int](repeating: 0, count: 10)
        for i in 0..<count {
            let row = probs[(i * 10)..<((i + 1) * 10)]
            let best = row.max()!
            if best > 0.9 {
                confident += 1
                classes[row.firstIndex(of: best)! - i * 10] += 1
            }
        }
        let fraction = Double(confident) / Double(count)
        print("gan.dlg: \(confident) of \(count) samples (\(fraction * 100)%) classified with confidence > 0.9 by DigitsCNN; per class \(classes); \(gan.seconds) s of training")
        XCTAssertGreaterThanOrEqual(fraction, 0.6, "per class \(classes); run \(run)")
    }
}
