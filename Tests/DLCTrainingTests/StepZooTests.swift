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
/// objectives that draw noise are noisy). A contrastive step (its objective holds a
/// `stop_gradient`, like contrastive divergence) follows an estimate, not the objective's
/// gradient, so its objective need not fall: it must stay finite and move its parameters.
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
                    let contrastive = !g.nodes(op: "stop_gradient").isEmpty
                    let trained = try XCTUnwrap(g.paramNodes.first { $0.attributes["trainable"] != .bool(false) }?
                        .attributes["name"]?.stringValue)
                    _ = try TrainingGraph.build(g, options: config.training, registry: registry)
                    let e = try Executor(plan: try PlanCache(graph: g, registry: registry, training: true).plan(bindings: ["N": 16]))
                    e.seed = 1
                    try e.setState(ParameterInitializer.initialize(g, seed: 1))
                    var feed = Zoo.batch(g, size: 16)
                    feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [config.training.optimizer.lr]).converted(to: .f32)
                    let before = try e.state(named: trained).doubles
                    var losses: [Double] = []
                    for _ in 0..<12 { losses.append(try e.run(inputs: feed)[TrainingGraph.lossOutput]!.doubles[0]) }
                    XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(url.lastPathComponent) \(name): \(losses)")
                    XCTAssertNotEqual(try e.state(named: trained).doubles, before, "\(url.lastPathComponent) \(name): \(trained) did not change")
                    guard !contrastive else { checked += 1; continue }
                    XCTAssertLessThan(losses.suffix(3).reduce(0, +), losses.prefix(3).reduce(0, +), "\(url.lastPathComponent) \(name): \(losses)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 5, "models/gan.dlg has two steps, models/dbn.dlg three")
    }
}

/// The restricted Boltzmann machine and the deep belief net reach their bars with their
/// files' settings.
final class BoltzmannBarTests: XCTestCase {
    /// rbm.dlg: the reconstruction error on the validation split falls every epoch.
    func testRBMReconstructionErrorFallsEveryEpoch() throws {
        let (r, log) = try Zoo.train("rbm.dlg")
        let errors = try r.epochs.map { try XCTUnwrap($0.metrics["val_loss"], log) }
        XCTAssertGreaterThanOrEqual(errors.count, 10)
        for i in 1..<errors.count { XCTAssertLessThan(errors[i], errors[i - 1], "epoch \(i + 1)\n\(log)") }
        print("rbm.dlg: validation reconstruction error by epoch \(errors)")
    }

    /// dbn.dlg: after greedy pretraining of both RBMs and fine-tuning, ≥ 95% on the test split.
    func testDBNAfterFineTuning() throws {
        let (r, log) = try Zoo.train("dbn.dlg")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.testAccuracy, log), 0.95, log)
        print("dbn.dlg: test accuracy \(r.testAccuracy!) in \(r.seconds) s of training")
    }
}

/// The GAN trained with its file's settings makes digits a classifier recognizes: of the
/// last sample grid's 64 images, at least 60% are classified with confidence above 0.9 by
/// DigitsCNN trained with models/digits_cnn.dlg. Slow (500 GAN epochs, about 3 minutes in a
/// debug build on a loaded machine), so it runs only with DLC_SLOW_TESTS=1:
/// `DLC_SLOW_TESTS=1 swift test --filter GANBarTests`.
final class GANBarTests: XCTestCase {
    func testGeneratedDigitsAreRecognized() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["DLC_SLOW_TESTS"] == "1",
                          "trains the GAN for 500 epochs; set DLC_SLOW_TESTS=1 to run it")
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
