import DLCCore
import DLCCPU
import DLCData
import DLCDriver
import DLCFrontend
import DLCReference
import DLCTraining
import DLCTransfer
import Foundation

/// Trains a model of a `.dlg` file on its train section's data with the CPU back end: the
/// training step is one compiled graph (forward, loss, backward, optimizer update) run by an
/// `Executor` per batch size; evaluation runs the model's own graph in inference mode.
public final class Trainer {
    public let registry: Registry

    public init(registry: Registry) { self.registry = registry }

    /// Continues a recorded run from its newest checkpoint, with the settings, overrides
    /// and source it started with.
    public func resume(_ runDirectory: String, options: RunOptions = RunOptions(),
                       progress: (TrainProgress) -> Void = { _ in },
                       log: (String) -> Void = { _ in }) throws -> TrainResult {
        let settings = try RunRecorder.readJSON(runDirectory + "/settings.json")
        guard let path = settings["source_path"] as? String, let copy = settings["source_copy"] as? String,
              let bytes = FileManager.default.contents(atPath: runDirectory + "/" + copy) else {
            throw DLCError("\(runDirectory) is not a run directory of dlc train (no settings.json with its source)")
        }
        var o = options
        o.resume = runDirectory
        return try train(SourceFile(path: path, bytes: [UInt8](bytes)), model: settings["model"] as? String,
                         overrides: TrainOverrides(dictionary: settings["overrides"] as? [String: Any] ?? [:]),
                         options: o, progress: progress, log: log)
    }

    /// - Throws: `CompileFailure` for errors in the file; `DLCError` for data, shape or run
    ///   problems (each names the file, input or step concerned); `TrainInterrupted` when
    ///   `options.shouldStop` stopped the run.
    public func train(_ source: SourceFile, model: String? = nil, overrides: TrainOverrides = TrainOverrides(),
                      options: RunOptions = RunOptions(),
                      progress: (TrainProgress) -> Void = { _ in },
                      log: (String) -> Void = { _ in }) throws -> TrainResult {
        let compiler = Compiler(registry: registry)
        // A section with steps trains several models together (MultiStepTrainer).
        let whole = compiler.compile(source, options: CompileOptions())
        if whole.status == 0, let section = try MultiStepTrainer.section(of: whole, requested: model, file: source.path) {
            return try MultiStepTrainer(registry: registry, source: source, section: section, overrides: overrides)
                .train(options: options, progress: progress, log: log)
        }
        let (evalGraph, section, compileOptions) = try compileModel(source, model: model, settings: overrides.settings)
        var config = section.map(TrainConfig.init) ?? TrainConfig()
        if let e = overrides.epochs { config.epochs = e }
        if let b = overrides.batch { config.batch = b }
        if let s = overrides.seed { config.seed = s }
        if let lr = overrides.lr { config.training.optimizer.lr = lr }
        let settings = config.section?.settings ?? [:]
        var checkpointEvery: Int?, patience: Int?
        if case .value(.int(let v))? = settings["checkpoint_every"] { checkpointEvery = v }
        if case .value(.int(let v))? = settings["early_stopping"] { patience = v }

        // The training step: a second, independent copy of the model's graph.
        let second = compiler.compile(source, options: compileOptions)
        let trainGraph = second.graphs[0]
        let trainingOptions = try config.trainingOptions(for: trainGraph)
        _ = try TrainingGraph.build(trainGraph, options: trainingOptions, registry: registry)
        try ExecutionPasses.run(trainGraph, registry: registry, inference: false)

        let io = try ModelInterface(evalGraph)
        let directory = source.path.contains("/") ? String(source.path[..<source.path.lastIndex(of: "/")!]) : nil
        var data = try config.data.load(relativeTo: directory)
        if let classes = config.classes { data = try data.selectingClasses(classes, source: "data: classes") }
        let files = config.data.files(relativeTo: directory)
        try io.checkLabels(data, graph: evalGraph, source: files.labels)
        var splits = try Splits(data, train: config.split - config.validation, validation: config.validation,
                                seed: UInt64(truncatingIfNeeded: config.dataSeed))
        if let fraction = config.subset { splits.train = splits.train.prefix(fraction: fraction) }
        // Preprocessing is fitted on the training split; a resumed run applies what it saved.
        let prepared: Splits, fitted: FittedPreprocessing
        if let run = options.resume, let saved = try FittedPreprocessing.saved(in: run) {
            (prepared, fitted) = (try saved.apply(splits), saved)
        } else {
            (prepared, fitted) = try FittedPreprocessing.prepare(splits, steps: config.preprocess)
        }
        var isDigits = false
        if case .digits = config.data { isDigits = true }
        try io.check(prepared.train, source: isDigits ? "the training data" : "the training data from \(files.features)",
                     targetsSource: isDigits ? nil : "the training data from \(files.labels)")

        let trainer = try StepRunner(graph: trainGraph, registry: registry, training: true, seed: UInt64(truncatingIfNeeded: config.seed))
        try trainer.setState(ParameterInitializer.initialize(trainGraph, seed: UInt64(truncatingIfNeeded: config.seed)))
        if options.resume == nil, let weights = config.transfer.weights {
            let report = try weights.load(into: TransferSettings.parameters(of: evalGraph), relativeTo: directory)
            log(report.render())
            try trainer.setState(report.loaded)
        }
        if !trainingOptions.frozen.isEmpty {
            log("freeze: \(trainingOptions.frozen.count) parameters are not trained (\(trainingOptions.frozen.sorted().joined(separator: ", ")))")
        }
        try ExecutionPasses.run(evalGraph, registry: registry, inference: true)
        let evaluator = try StepRunner(graph: evalGraph, registry: registry, training: false, seed: 0)
        let lrDType = trainGraph.inputNodes.first { $0.attributes["name"] == .string(TrainingGraph.learningRateInput) }
            .map { trainGraph[$0.outputs[0]].type.dtype } ?? .f32
        // `steps: N` sets the epochs that hold N steps and stops at the N-th.
        var stepLimit: Int?
        if let steps = config.steps, overrides.epochs == nil {
            let perEpoch = max(1, (prepared.train.count + config.batch - 1) / config.batch)
            config.epochs = (steps + perEpoch - 1) / perEpoch
            stepLimit = steps
        }
        let schedule = LearningRateSchedule(config: config)
        let samples = try SampleGridSettings(settings).map {
            try SampleGrid($0, defaultModel: evalGraph.name, source: source, registry: registry)
        }

        // What is measured: the metrics of the list that fit the task, on validation each epoch.
        let classification = io.prediction != nil && prepared.train.hasClassLabels
        let applicable = classification ? ["accuracy", "precision", "recall", "f1", "auc", "roc_auc", "log_loss"] : ["mse", "mae", "r2"]
        let metricNames = config.metrics.filter { applicable.contains($0) }
        var columns: [String] = []
        if prepared.validation.count > 0 {
            if io.loss != nil { columns.append("val_loss") }
            columns += metricNames.map { "val_" + $0 }
        }
        // Early stopping watches validation accuracy (classification), else validation loss,
        // else (no validation split) the training loss.
        let monitor: (name: String, higherIsBetter: Bool) =
            prepared.validation.count == 0 ? ("loss", false)
            : classification ? ("val_accuracy", true) : (io.loss != nil ? ("val_loss", false) : ("loss", false))

        // The run's record, new or resumed.
        var position = Checkpoint.Position()
        var recorder: RunRecorder?
        if let run = options.resume {
            let (path, checkpoint) = try Checkpoint.latest(in: run)
            guard !checkpoint.position.finished else { throw DLCError("the run \(run) has already finished") }
            try trainer.setState(checkpoint.state)
            position = checkpoint.position
            trainer.runCounts = Dictionary(uniqueKeysWithValues: position.runCounts.compactMap { k, v in Int(k).map { ($0, v) } })
            recorder = try RunRecorder(resuming: run, checkpoint: position)
            log("resuming \(run) from \(path) (epoch \(position.epoch), step \(position.step))")
        } else if options.runsDirectory != nil || options.runDirectory != nil {
            let base = source.path.split(separator: "/").last.map(String.init) ?? "model.dlg"
            let absolute = source.path.hasPrefix("/") ? source.path : FileManager.default.currentDirectoryPath + "/" + source.path
            recorder = try RunRecorder(runsDirectory: options.runsDirectory ?? "runs", path: options.runDirectory, model: evalGraph.name,
                                       settings: Self.settingsObject(config, model: evalGraph.name, overrides: overrides,
                                                                     sourcePath: absolute, sourceCopy: base,
                                                                     checkpointEvery: checkpointEvery, patience: patience),
                                       source: source, environment: RunRecorder.environment(version: options.version), columns: columns)
            try fitted.save(in: recorder!.path)
        }
        if let recorder {
            log("recording the run in \(recorder.path)")
            if !FileManager.default.fileExists(atPath: recorder.path + "/" + RunRecorder.diagramFile) {
                // A diagram that cannot be drawn does not stop the run.
                do { try recorder.saveDiagram(DiagramSupport.svg(source, model: evalGraph.name, registry: registry)) } catch {
                    log("warning: no \(RunRecorder.diagramFile) in the run: \((error as? DLCError)?.message ?? "\(error)")")
                }
            }
        }

        // The state in graph order (parameters, then optimizer state), for naming the first non-finite one.
        let stateOrder = trainGraph.paramNodes.compactMap { $0.attributes["name"]?.stringValue }
        /// Where the run can be resumed from after a failure.
        func lastGood() -> String {
            guard let recorder, let file = Checkpoint.files(in: recorder.path).first else { return "" }
            return "; the last good checkpoint is kept: \(file)"
        }
        func checkpoint() throws {
            guard let recorder else { return }
            position.runCounts = Dictionary(uniqueKeysWithValues: trainer.runCounts.map { (String($0), $1) })
            let state = try trainer.allState()
            // A non-finite state is never saved over a good checkpoint.
            if let bad = NonFinite.firstIn(state, order: stateOrder) {
                throw DLCError("a parameter became non-finite by step \(position.step) (epoch \(position.epoch)): \(bad); "
                    + "lower the learning rate or clip gradients (clip_norm)" + lastGood())
            }
            try recorder.saveCheckpoint(Checkpoint(state: state, position: position))
        }

        return try RunRecorder.recordingStatus(of: recorder, runEpochs)

        func runEpochs() throws -> TrainResult {
            let length = stepLimit.map { "\($0) steps (\(config.epochs) epochs)" } ?? "\(config.epochs) epochs"
            log("training \(evalGraph.name) on \(prepared.train.count) examples (validation \(prepared.validation.count), test \(prepared.test.count)); \(config.training.optimizer.kind.rawValue), batch \(config.batch), \(length)")
            let loop = TrainStepLoop(resuming: position)
            var stoppedEarly: Int?
            epochs: while position.epoch <= max(1, config.epochs) {
                let epoch = position.epoch
                let start = loop.clock.now
                let batches = Batches(prepared.train, size: config.batch, shuffleSeed: UInt64(truncatingIfNeeded: config.seed), epoch: epoch)
                for k in position.batch..<batches.count {
                    let batch = batches[k]
                    var feed = try io.feed(batch)
                    let lr = schedule.rate(epoch: epoch, step: position.step, stepsPerEpoch: batches.count)
                    feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [lr]).converted(to: lrDType)
                    let out = try trainer.run(feed, batch: batch.count)
                    let loss = out[TrainingGraph.lossOutput]!.doubles[0]
                    guard loss.isFinite else {
                        let message = NonFinite.lossMessage(loss: loss, epoch: epoch, batch: k + 1, step: position.step + 1, outputs: out,
                                                            outputOrder: trainGraph.outputs.map(\.name).filter { $0 != TrainingGraph.lossOutput }, state: try trainer.allState(),
                                                            stateOrder: stateOrder)
                        throw DLCError(message + "; lower the learning rate or clip gradients (clip_norm)" + lastGood())
                    }
                    position.lossSum += loss * Double(batch.count)
                    if let scores = io.prediction.flatMap({ out[$0] }) {
                        position.correct += Metrics.correctCount(scores: scores, labels: batch.y)
                    }
                    position.seen += batch.count
                    position.step += 1
                    position.batch = k + 1
                    recorder?.recordStep(step: position.step, epoch: epoch, loss: loss, lr: lr)
                    try loop.afterStep(position, epoch: epoch, epochs: config.epochs, batch: k, batches: batches.count,
                                       totalSteps: stepLimit ?? batches.count * max(1, config.epochs), batchSize: config.batch,
                                       every: checkpointEvery, runDirectory: recorder?.path, shouldStop: options.shouldStop,
                                       progress: progress) { position.seconds = $0; try checkpoint() }
                    if let stepLimit, position.step >= stepLimit { break }
                }
                try evaluator.setState(trainer.stateForGraph(evalGraph))
                var record = EpochRecord(epoch: epoch, loss: position.lossSum / Double(max(1, position.seen)),
                                         trainAccuracy: io.prediction == nil ? nil : Double(position.correct) / Double(max(1, position.seen)),
                                         validationAccuracy: nil, seconds: 0)
                if prepared.validation.count > 0 {
                    let v = try evaluate(evaluator, io, prepared.validation, classification: classification)
                    for (name, value) in v.metrics(["accuracy"] + metricNames) { record.metrics["val_" + name] = value }
                    if classification, let s = v.scores { record.validationAccuracy = Metrics.accuracy(v.labels, Metrics.argmax(s)) }
                }
                record.seconds = (loop.clock.now - start).seconds
                position.records.append(record)
                recorder?.recordEpoch(record)
                var line = Self.format(record, of: config.epochs)
                if let samples, let recorder, samples.isDue(epoch: epoch, of: config.epochs) {
                    let path = try samples.write(epoch: epoch, state: trainer.stateForGraph(evalGraph), directory: recorder.path)
                    line += "  samples \(path.split(separator: "/").suffix(2).joined(separator: "/"))"
                }
                log(line)

                // Early stopping and the best weights.
                let watched = monitor.name == "loss" ? record.loss : record.metrics[monitor.name]
                if let value = watched {
                    let improved = position.best.map { monitor.higherIsBetter ? value > $0 : value < $0 } ?? true
                    if improved {
                        position.best = value
                        position.bestEpoch = epoch
                        position.sinceBest = 0
                        if prepared.validation.count > 0 || patience != nil {
                            try recorder?.saveWeights(trainer.stateForGraph(evalGraph), as: "best.safetensors")
                        }
                    } else {
                        position.sinceBest += 1
                    }
                }
                position.epoch += 1
                position.batch = 0
                position.lossSum = 0; position.correct = 0
                position.seenBefore += position.seen
                position.seen = 0
                if let patience, position.sinceBest >= patience, position.epoch <= config.epochs {
                    log("early stopping: \(monitor.name) has not improved for \(patience) epochs (best \(Self.round(position.best ?? 0)) at epoch \(position.bestEpoch))")
                    stoppedEarly = epoch
                    break epochs
                }
                position.seconds = loop.seconds
                if position.epoch <= config.epochs { try checkpoint() }
            }
            position.seconds = loop.seconds
            position.finished = true
            try checkpoint()
            let finalState = try trainer.stateForGraph(evalGraph)
            try recorder?.saveWeights(finalState, as: "weights.safetensors")
            try evaluator.setState(finalState)
            var testMetrics: [(name: String, value: Double)] = []
            var test: (accuracy: Double?, loss: Double?) = (nil, nil)
            if prepared.test.count > 0 {
                let t = try evaluate(evaluator, io, prepared.test, classification: classification)
                testMetrics = t.metrics(["accuracy"] + metricNames.filter { $0 != "accuracy" })
                test.loss = t.loss
                if classification, let s = t.scores { test.accuracy = Metrics.accuracy(t.labels, Metrics.argmax(s)) }
                var line = "test"
                if let l = test.loss { line += " loss \(Self.round(l))" }
                if let a = test.accuracy { line += " accuracy \(Self.percent(a))" }
                for (name, value) in testMetrics where name != "loss" && name != "accuracy" { line += " \(name) \(Self.round(value))" }
                log(line + " on \(prepared.test.count) examples")
                if let recorder { try recorder.writeJSON(t.report(["accuracy"] + metricNames), to: "test_metrics.json") }
            }
            if let recorder {
                var summary: [String: Any] = ["model": evalGraph.name, "epochs": position.records.count, "steps": position.step,
                                              "seconds": position.seconds, "monitor": monitor.name]
                if let b = position.best, b.isFinite { summary["best"] = b; summary["best_epoch"] = position.bestEpoch }
                if let stoppedEarly { summary["stopped_early_at"] = stoppedEarly }
                if let last = position.records.last {
                    summary["final_train_loss"] = last.loss
                    for (k, v) in last.metrics where v.isFinite { summary["final_" + k] = v }
                }
                var t: [String: Double] = [:]
                for (k, v) in testMetrics where v.isFinite { t[k] = v }
                summary["test"] = t
                try recorder.writeJSON(summary, to: "summary.json")
            }
            var result = TrainResult(model: evalGraph.name, epochs: position.records, testAccuracy: test.accuracy, testLoss: test.loss,
                                     seconds: position.seconds, parameters: try trainer.allState(), config: config)
            result.runDirectory = recorder?.path
            result.source = source
            result.testMetrics = testMetrics
            result.stoppedEarlyAt = stoppedEarly
            result.bestEpoch = position.bestEpoch > 0 ? position.bestEpoch : nil
            return result
        }
    }

    /// The resolved settings of a run, flat (for `settings.json` and `dlc runs compare`).
    static func settingsObject(_ config: TrainConfig, model: String, overrides: TrainOverrides, sourcePath: String,
                               sourceCopy: String, checkpointEvery: Int?, patience: Int?) -> [String: Any] {
        var s: [String: Any] = [:]
        for (k, v) in config.section?.settings ?? [:] { s[k] = v.description }
        s["epochs"] = config.epochs
        s["batch"] = config.batch
        s["seed"] = config.seed
        s["lr"] = config.training.optimizer.lr
        s["optimizer"] = config.training.optimizer.kind.rawValue
        s["split"] = config.split
        s["validation"] = config.validation
        s["metrics"] = config.metrics
        s["data"] = config.section?.settings["data"]?.description ?? "digits()"
        var arguments: [String: Any] = [:]
        for (name, value) in overrides.settings where config.section?.staticArguments.contains(where: { $0.name == name }) == true {
            arguments[name] = value.jsonValue
            s[name] = value.jsonValue
        }
        return ["model": model, "settings": s, "overrides": overrides.dictionary, "model_arguments": arguments,
                "source_path": sourcePath, "source_copy": sourceCopy]
    }

    /// The model's predictions and mean loss on a data set (inference mode).
    func evaluate(_ runner: StepRunner, _ io: ModelInterface, _ data: Dataset, classification: Bool) throws -> Evaluation {
        var lossSum = 0.0
        var scores: [[Double]] = [], targets: [[Double]] = []
        for batch in Batches(data, size: 256) {
            let out = try runner.run(try io.feed(batch), batch: batch.count)
            if let p = io.prediction.flatMap({ out[$0] }) {
                let c = p.shape.count > 1 ? p.count / max(1, p.shape[0]) : 1
                let d = p.doubles
                for i in 0..<batch.count { scores.append(Array(d[(i * c)..<((i + 1) * c)])) }
            }
            let y = batch.y.doubles, w = y.count / max(1, batch.count)
            for i in 0..<batch.count { targets.append(Array(y[(i * w)..<((i + 1) * w)])) }
            if let loss = io.loss.flatMap({ out[$0] }) { lossSum += loss.doubles[0] * Double(batch.count) }
        }
        return Evaluation(count: data.count, loss: io.loss == nil ? nil : lossSum / Double(max(1, data.count)),
                          scores: io.prediction == nil ? nil : scores, targets: targets, isClassification: classification)
    }

    /// Compiles the model to train (or evaluate) with `--set` values applied: the model's
    /// graph (static arguments replaced), its train section (settings replaced) and the
    /// options that compile that same graph again.
    /// - Throws: `CompileFailure` for errors in the file (or in a static argument's value);
    ///   `DLCError` for a name that is not a setting or static argument, or a bad value.
    public func compileModel(_ source: SourceFile, model: String?, settings: [(name: String, value: StaticValue)])
        throws -> (graph: Graph, section: TrainSection?, options: CompileOptions) {
        let compiler = Compiler(registry: registry)
        var first = compiler.compile(source, options: CompileOptions(model: model))
        guard first.status == 0 else { throw CompileFailure(text: first.diagnosticsText) }
        var graph = try chooseModel(first, requested: model, file: source.path)
        var section = first.trainSections.first { $0.model == graph.name }
        var options = CompileOptions(model: graph.name)
        if !settings.isEmpty {
            guard let s = section else { throw DLCError("--set needs a train section for model '\(graph.name)'") }
            let (changed, arguments) = try s.overriding(settings)
            section = changed
            if !arguments.isEmpty {
                options.modelArguments = [graph.name: arguments]
                first = compiler.compile(source, options: options)
                guard first.status == 0 else { throw CompileFailure(text: first.diagnosticsText) }
                graph = first.graphs[0]
            }
        }
        return (graph, section, options)
    }

    /// The model of a compilation to train: the one asked for, else the only model with a
    /// train section (or the only model).
    /// - Throws: `DLCError` when the file has several candidates and none was asked for.
    public func chooseModel(_ r: CompileResult, requested: String?, file: String) throws -> Graph {
        if requested != nil { return r.graphs[0] }  // compiled with --model: the only graph
        let trained = Set(r.trainSections.compactMap(\.model))
        let candidates = trained.isEmpty ? r.graphs : r.graphs.filter { trained.contains($0.name) }
        guard candidates.count == 1 else {
            throw DLCError("\(file) has \(candidates.count) models to train (\(candidates.map(\.name).joined(separator: ", "))); choose one with --model")
        }
        return candidates[0]
    }
}
