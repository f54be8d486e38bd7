import DLCCore
import DLCCPU
import DLCData
import DLCDriver
import DLCExperiment
import DLCFrontend
import DLCReference
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

/// The models of `models/` and what `dlc train` does with them.
enum Zoo {
    /// Every model of every file in `models/`, with the file's train section for it (if any).
    static func models() throws -> [(file: URL, model: String, section: TrainSection?, several: Bool)] {
        try Repository.modelFiles.flatMap { url in
            let r = try TestCompiler.compile(file: url)
            XCTAssertEqual(r.status, 0, "\(url.lastPathComponent):\n\(r.diagnosticsText)")
            return r.graphs.map { g in
                (url, g.name, r.trainSections.first { $0.model == g.name }, r.graphs.count > 1)
            }
        }
    }

    static func source(_ name: String) throws -> SourceFile {
        let url = Repository.root.appendingPathComponent("models/\(name)")
        return SourceFile(path: "models/\(name)", bytes: try [UInt8](Data(contentsOf: url)))
    }

    /// Trains a model file with its own train section, as `dlc train models/NAME` does.
    static func train(_ name: String, model: String? = nil) throws -> (TrainResult, String) {
        var lines: [String] = []
        let r = try Trainer(registry: TestCompiler.registry).train(try source(name), model: model) { lines.append($0) }
        return (r, lines.joined(separator: "\n"))
    }

    /// A fixed batch for a graph's inputs: features in [0, 1), integer labels 0…C−1 (C the
    /// classes of the first `[N, C]` output, 10 without one).
    static func batch(_ g: Graph, size: Int) -> [String: HostTensor] {
        var feed: [String: HostTensor] = [:]
        let classes = g.outputs.lazy.map { g[$0.value].type.shape }.first { $0.count == 2 && $0[1].value != nil }?[1].value ?? 10
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for node in g.inputNodes {
            guard let name = node.attributes["name"]?.stringValue, name != TrainingGraph.learningRateInput else { continue }
            let t = g[node.outputs[0]].type
            let shape = t.shape.map { $0.value ?? size }
            let n = shape.reduce(1, *)
            let values: [Double] = (0..<n).map { i in
                if !t.dtype.isFloat { return Double(i % classes) }
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 11) / Double(1 << 53)
            }
            feed[name] = HostTensor(shape: shape, f64: values).converted(to: t.dtype)
        }
        return feed
    }
}

/// Every model in `models/` compiles, renders, and its loss falls over a few training steps
/// on a fixed batch (with its train section's optimizer, or the defaults).
final class ModelZooTests: XCTestCase {
    func testEveryModelsLossFallsOverAFewSteps() throws {
        let registry = TestCompiler.registry
        for (url, model, section, _) in try Zoo.models() {
            let file = Repository.relative(url)
            let compiled = try TestCompiler.compile(file: url, options: CompileOptions(model: model))
            let g = try XCTUnwrap(compiled.graphs.first, file)
            guard !g.losses.isEmpty else { continue }
            let start = Date()
            let config = section.map(TrainConfig.init) ?? TrainConfig()
            // A model trained on another loss than its first (the RBM's contrastive divergence,
            // not a quantity that falls) is watched on its first, which `dlc train` reports.
            let watched = config.training.loss.flatMap { name in g.losses[0].name == name ? nil : g.losses[0] }
            if let watched { g.outputs.append(NamedValue(name: "zoo.watched", value: watched.value, location: watched.location)) }
            _ = try TrainingGraph.build(g, options: config.training, registry: registry)
            let perExample = g.inputNodes.map { g[$0.outputs[0]].type.shape.compactMap(\.value).reduce(1, *) }.max() ?? 1
            // Models without a train section are the full-size workloads: a batch of 2 there.
            let (size, steps) = section == nil || perExample > 10_000 ? (2, 3) : (16, 5)
            let e = try Executor(plan: try PlanCache(graph: g, registry: registry, training: true).plan(bindings: ["N": size]))
            e.seed = 1
            try e.setState(ParameterInitializer.initialize(g, seed: 1))
            var feed = Zoo.batch(g, size: size)
            let lrType = g.inputNodes.first { $0.attributes["name"] == .string(TrainingGraph.learningRateInput) }
                .map { g[$0.outputs[0]].type.dtype } ?? .f32
            feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [config.training.optimizer.lr]).converted(to: lrType)
            var losses: [Double] = []
            for _ in 0..<steps { losses.append(try e.run(inputs: feed)[watched == nil ? TrainingGraph.lossOutput : "zoo.watched"]!.doubles[0]) }
            XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(file) \(model): \(losses)")
            XCTAssertLessThan(losses.last!, losses.first!, "\(file) \(model): \(losses)")
            print("\(file) \(model): loss \(losses.first!) → \(losses.last!) in \(steps) steps of \(size), \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        }
    }

    /// `dlc render FILE -o X.svg` (with `--model` where the file has several) draws every model.
    func testEveryModelRenders() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-render-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (url, model, _, several) in try Zoo.models() {
            let svg = dir.appendingPathComponent("\(model).svg")
            let args = ["render", Repository.relative(url), "-o", svg.path] + (several ? ["--model", model] : [])
            let o = try DLCProcess.run(args, timeout: 120)
            XCTAssertEqual(o.status, 0, "dlc \(args.joined(separator: " ")): \(o.stderr)")
            let text = (try? String(contentsOf: svg, encoding: .utf8)) ?? ""
            XCTAssertTrue(text.contains("<svg") && text.contains("</svg>"), "\(model): not an SVG")
        }
    }

    /// AlexNet at full size has torchvision's parameter count and names.
    func testAlexNetHasTorchvisionsParameters() throws {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/alexnet.dlg"),
                                         options: CompileOptions(model: "AlexNet"))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        let g = try XCTUnwrap(r.graphs.first)
        XCTAssertEqual(g.trainableParameterCount, 61_100_840)
        let names = g.paramNodes.compactMap { $0.attributes["name"]?.stringValue }
        XCTAssertEqual(names, ["features.0", "features.3", "features.6", "features.8", "features.10",
                               "classifier.1", "classifier.4", "classifier.6"].flatMap { [$0 + ".weight", $0 + ".bias"] })
    }

    /// A model fed its features alone (the autoencoder) has no accuracy, although its
    /// reconstruction is an [N, C] output.
    func testAModelWithoutLabelsReportsNoAccuracy() throws {
        let text = """
            model AE {
              input x: f32[N, 1, 8, 8]
              flat = flatten(x)
              output recon = dense(flat, 64) |> sigmoid
              loss mse = mse(recon, flat)
            }
            train AE { epochs: 1 }
            """
        let r = try Trainer(registry: TestCompiler.registry).train(SourceFile(path: "ae.dlg", text: text))
        XCTAssertNil(r.testAccuracy)
        XCTAssertNil(r.epochs[0].trainAccuracy)
        XCTAssertNotNil(r.testLoss)
    }
}

/// Each model of `models/` trains to its bar with its file's settings (deterministic: fixed seeds).
final class ModelZooBarTests: XCTestCase {
    func accuracy(_ name: String, model: String? = nil, atLeast bar: Double) throws {
        let (r, log) = try Zoo.train(name, model: model)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.testAccuracy), bar, log)
        print("\(name): test accuracy \(r.testAccuracy!) in \(r.seconds) s of training")
    }

    func testLogisticRegression() throws { try accuracy("logistic.dlg", atLeast: 0.95) }
    func testRNN() throws { try accuracy("rnn.dlg", atLeast: 0.90) }
    func testLSTM() throws { try accuracy("lstm.dlg", atLeast: 0.95) }
    func testGRU() throws { try accuracy("gru.dlg", atLeast: 0.95) }
    func testBidirectionalLSTM() throws { try accuracy("bilstm.dlg", atLeast: 0.95) }
    func testDigitsAlexNet() throws { try accuracy("alexnet.dlg", model: "DigitsAlexNet", atLeast: 0.95) }
    func testDigitsResNet() throws { try accuracy("digits_resnet.dlg", atLeast: 0.97) }
    func testLeNet5() throws { try accuracy("lenet5.dlg", atLeast: 0.97) }
    func testDigitsTransformer() throws { try accuracy("transformer.dlg", atLeast: 0.95) }
    func testBenchmarkMLP() throws { try accuracy("mlp.dlg", atLeast: 0.97) }

    /// The autoencoder's test reconstruction error is at most a third of the error of
    /// predicting the training split's mean image for every test image.
    func testAutoencoder() throws {
        let (r, log) = try Zoo.train("autoencoder.dlg")
        XCTAssertNil(r.testAccuracy, "no labels, no accuracy")
        let splits = try Splits(try Digits.load(), train: 0.8, seed: 1)  // the file's digits(split: 0.8, seed: 1)
        let train = splits.train.x.doubles, test = splits.test.x.doubles
        let d = 64
        var mean = [Double](repeating: 0, count: d)
        for (i, v) in train.enumerated() { mean[i % d] += v / Double(splits.train.count) }
        let baseline = test.enumerated().map { i, v in (v - mean[i % d]) * (v - mean[i % d]) }.reduce(0, +) / Double(test.count)
        let mse = try XCTUnwrap(r.testLoss)
        XCTAssertLessThanOrEqual(mse, baseline / 3, log)
        print("autoencoder.dlg: test MSE \(mse), mean-image baseline \(baseline) (ratio \(mse / baseline))")
    }

    /// The VAE's loss (the negative ELBO) improves every epoch for the first 10.
    func testVariationalAutoencoder() throws {
        let (r, log) = try Zoo.train("vae.dlg")
        XCTAssertGreaterThanOrEqual(r.epochs.count, 10)
        let losses = r.epochs.prefix(10).map(\.loss)
        for i in 1..<losses.count { XCTAssertLessThan(losses[i], losses[i - 1], "epoch \(i + 1)\n\(log)") }
        print("vae.dlg: loss by epoch \(losses)")
    }
}
