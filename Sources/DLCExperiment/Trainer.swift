import DLCCore
import DLCCPU
import DLCData
import DLCDriver
import DLCFrontend
import DLCReference
import DLCTraining

/// One epoch of a run, as logged.
public struct EpochRecord: Sendable {
    public var epoch: Int
    /// Mean training loss over the epoch's steps.
    public var loss: Double
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
    public var seconds: Double
}

/// Where a run is, reported after every step (for a live progress bar).
public struct TrainProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var samplesPerSecond: Double
    /// Estimated seconds until the last epoch ends.
    public var eta: Double
}

/// The outcome of `Trainer.train`.
public struct TrainResult {
    public var model: String
    public var epochs: [EpochRecord]
    /// Accuracy on the test split with the final parameters (nil without a test split).
    public var testAccuracy: Double?
    /// Mean loss on the test split with the final parameters.
    public var testLoss: Double?
    /// Wall-clock seconds of the training epochs.
    public var seconds: Double
    /// The final parameters and state, by name.
    public var parameters: [String: HostTensor]
    public var config: TrainConfig
}

/// The file did not compile; `text` holds the diagnostics.
public struct CompileFailure: Error {
    public var text: String
}

/// Command-line overrides of a train section.
public struct TrainOverrides: Sendable {
    public var epochs: Int?
    public var batch: Int?
    public var seed: Int?
    public var lr: Double?

    public init(epochs: Int? = nil, batch: Int? = nil, seed: Int? = nil, lr: Double? = nil) {
        self.epochs = epochs
        self.batch = batch
        self.seed = seed
        self.lr = lr
    }
}

/// Trains a model of a `.dlg` file on its train section's data with the CPU back end: the
/// training step is one compiled graph (forward, loss, backward, optimizer update) run by an
/// `Executor` per batch size; evaluation runs the model's own graph in inference mode.
public final class Trainer {
    public let registry: Registry

    public init(registry: Registry) { self.registry = registry }

    /// - Throws: `CompileFailure` for errors in the file; `DLCError` for data, shape or run
    ///   problems (each names the file, input or step concerned).
    public func train(_ source: SourceFile, model: String? = nil, overrides: TrainOverrides = TrainOverrides(),
                      progress: (TrainProgress) -> Void = { _ in },
                      log: (String) -> Void = { _ in }) throws -> TrainResult {
        let compiler = Compiler(registry: registry)
        let first = compiler.compile(source, options: CompileOptions(model: model))
        guard first.status == 0 else { throw CompileFailure(text: first.diagnosticsText) }
        let evalGraph = try chooseModel(first, requested: model, file: source.path)
        var config = first.trainSections.first { $0.model == evalGraph.name }.map(TrainConfig.init) ?? TrainConfig()
        if let e = overrides.epochs { config.epochs = e }
        if let b = overrides.batch { config.batch = b }
        if let s = overrides.seed { config.seed = s }
        if let lr = overrides.lr { config.training.optimizer.lr = lr }

        // The training step: a second, independent copy of the model's graph.
        let second = compiler.compile(source, options: CompileOptions(model: evalGraph.name))
        let trainGraph = second.graphs[0]
        _ = try TrainingGraph.build(trainGraph, options: config.training, registry: registry)

        let io = try ModelInterface(evalGraph)
        let directory = source.path.contains("/") ? String(source.path[..<source.path.lastIndex(of: "/")!]) : nil
        let data = try config.data.load(relativeTo: directory)
        let splits = try Splits(data, train: config.split - config.validation, validation: config.validation,
                                seed: UInt64(truncatingIfNeeded: config.dataSeed))
        let (prepared, _) = try FittedPreprocessing.prepare(splits, steps: config.preprocess)
        try io.check(prepared.train, source: "the training data")

        let trainer = try StepRunner(graph: trainGraph, registry: registry, training: true, seed: UInt64(truncatingIfNeeded: config.seed))
        try trainer.setState(ParameterInitializer.initialize(trainGraph, seed: UInt64(truncatingIfNeeded: config.seed)))
        let evaluator = try StepRunner(graph: evalGraph, registry: registry, training: false, seed: 0)
        let lrDType = trainGraph.inputNodes.first { $0.attributes["name"] == .string(TrainingGraph.learningRateInput) }
            .map { trainGraph[$0.outputs[0]].type.dtype } ?? .f32
        let schedule = LearningRateSchedule(config: config)

        log("training \(evalGraph.name) on \(prepared.train.count) examples (validation \(prepared.validation.count), test \(prepared.test.count)); \(config.training.optimizer.kind.rawValue), batch \(config.batch), \(config.epochs) epochs")
        var records: [EpochRecord] = []
        let clock = ContinuousClock()
        let runStart = clock.now
        var step = 0, seenTotal = 0
        for epoch in 1...max(1, config.epochs) {
            let start = clock.now
            var lossSum = 0.0, correct = 0, seen = 0
            let batches = Batches(prepared.train, size: config.batch, shuffleSeed: UInt64(truncatingIfNeeded: config.seed), epoch: epoch)
            for (k, batch) in batches.enumerated() {
                var feed = try io.feed(batch)
                let lr = schedule.rate(epoch: epoch, step: step, stepsPerEpoch: batches.count)
                feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [lr]).converted(to: lrDType)
                let out = try trainer.run(feed, batch: batch.count)
                let loss = out[TrainingGraph.lossOutput]!.doubles[0]
                guard loss.isFinite else {
                    throw DLCError("the loss became \(loss) at epoch \(epoch), step \(k + 1); lower the learning rate or clip gradients (clip_norm)")
                }
                lossSum += loss * Double(batch.count)
                if let scores = io.prediction.flatMap({ out[$0] }) {
                    correct += Metrics.correctCount(scores: scores, labels: batch.y)
                }
                seen += batch.count
                step += 1
                let elapsed = (clock.now - runStart).seconds
                let done = Double(step), total = Double(batches.count * max(1, config.epochs))
                progress(TrainProgress(epoch: epoch, epochs: config.epochs, step: k + 1, steps: batches.count,
                                       loss: lossSum / Double(max(1, seen)), samplesPerSecond: Double(seenTotal + seen) / max(elapsed, 1e-9),
                                       eta: elapsed / done * (total - done)))
            }
            seenTotal += seen
            try evaluator.setState(trainer.stateForGraph(evalGraph))
            let validation = prepared.validation.count > 0 ? try evaluate(evaluator, io, prepared.validation).accuracy : nil
            let seconds = (clock.now - start).seconds
            let record = EpochRecord(epoch: epoch, loss: lossSum / Double(max(1, seen)),
                                     trainAccuracy: io.prediction == nil ? nil : Double(correct) / Double(max(1, seen)),
                                     validationAccuracy: validation, seconds: seconds)
            records.append(record)
            log(Self.format(record, of: config.epochs))
        }
        let seconds = (clock.now - runStart).seconds
        try evaluator.setState(trainer.stateForGraph(evalGraph))
        let test: (accuracy: Double?, loss: Double?) = prepared.test.count > 0 ? try evaluate(evaluator, io, prepared.test) : (nil, nil)
        if test.accuracy != nil || test.loss != nil {
            var line = "test"
            if let l = test.loss { line += " loss \((l * 10000).rounded() / 10000)" }
            if let a = test.accuracy { line += " accuracy \(Self.percent(a))" }
            log(line + " on \(prepared.test.count) examples")
        }
        return TrainResult(model: evalGraph.name, epochs: records, testAccuracy: test.accuracy, testLoss: test.loss,
                           seconds: seconds, parameters: try trainer.allState(), config: config)
    }

    /// Accuracy of the model's prediction output and mean of its loss on a data set
    /// (inference mode; nil where the model has no such output or loss).
    func evaluate(_ runner: StepRunner, _ io: ModelInterface, _ data: Dataset) throws -> (accuracy: Double?, loss: Double?) {
        var correct = 0, lossSum = 0.0
        for batch in Batches(data, size: 256) {
            let out = try runner.run(try io.feed(batch), batch: batch.count)
            if let prediction = io.prediction { correct += Metrics.correctCount(scores: out[prediction]!, labels: batch.y) }
            if let loss = io.loss.flatMap({ out[$0] }) { lossSum += loss.doubles[0] * Double(batch.count) }
        }
        let n = Double(max(1, data.count))
        return (io.prediction == nil ? nil : Double(correct) / n, io.loss == nil ? nil : lossSum / n)
    }

    func chooseModel(_ r: CompileResult, requested: String?, file: String) throws -> Graph {
        if requested != nil { return r.graphs[0] }  // compiled with --model: the only graph
        let trained = Set(r.trainSections.compactMap(\.model))
        let candidates = trained.isEmpty ? r.graphs : r.graphs.filter { trained.contains($0.name) }
        guard candidates.count == 1 else {
            throw DLCError("\(file) has \(candidates.count) models to train (\(candidates.map(\.name).joined(separator: ", "))); choose one with --model")
        }
        return candidates[0]
    }

    static func percent(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 10
        return "\(r)%"
    }

    static func format(_ r: EpochRecord, of total: Int) -> String {
        let loss = (r.loss * 10000).rounded() / 10000
        var s = "epoch \(r.epoch)/\(total)  loss \(loss)"
        if let a = r.trainAccuracy { s += "  train accuracy \(percent(a))" }
        if let v = r.validationAccuracy { s += "  validation accuracy \(percent(v))" }
        s += "  \((r.seconds * 100).rounded() / 100)s"
        return s
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
