import DLCCore
import DLCData
import DLCDriver
import DLCFrontend
import Foundation

extension MultiStepTrainer {
    /// Runs the epochs: every batch runs the schedule; after each epoch the mean loss of
    /// every step is logged (`d_loss`, `g_loss`; the epoch's `loss` is their sum) and the
    /// sample grid drawn when due. Recorded, checkpointed and resumed like `Trainer.train`.
    func train(options: RunOptions, progress: (TrainProgress) -> Void, log: (String) -> Void) throws -> TrainResult {
        let directory = source.path.contains("/") ? String(source.path[..<source.path.lastIndex(of: "/")!]) : nil
        let data = try config.data.load(relativeTo: directory)
        let splits = try Splits(data, train: config.split, validation: 0, seed: UInt64(truncatingIfNeeded: config.dataSeed))
        let (prepared, _) = try FittedPreprocessing.prepare(splits, steps: config.preprocess)
        for name in steps.keys.sorted() { try steps[name]!.io?.check(prepared.train, source: "the training data of step '\(name)'") }
        let samples = try SampleGridSettings(section.settings).map {
            try SampleGrid($0, defaultModel: nil, source: source, registry: registry)
        }
        var checkpointEvery: Int?
        if case .value(.int(let v))? = section.settings["checkpoint_every"] { checkpointEvery = v }
        let schedule = LearningRateSchedule(config: config)
        let stepNames = section.steps.map(\.name).filter { steps[$0] != nil }
        let columns = stepNames.map { $0 + "_loss" }

        var position = Checkpoint.Position()
        var recorder: RunRecorder?
        if let run = options.resume {
            let (path, checkpoint) = try Checkpoint.latest(in: run)
            guard !checkpoint.position.finished else { throw DLCError("the run \(run) has already finished") }
            try setAllState(checkpoint.state)
            position = checkpoint.position
            runCounts = position.runCounts
            recorder = try RunRecorder(resuming: run, checkpoint: position)
            log("resuming \(run) from \(path) (epoch \(position.epoch), step \(position.step))")
        } else if let runs = options.runsDirectory {
            let base = source.path.split(separator: "/").last.map(String.init) ?? "model.dlg"
            let absolute = source.path.hasPrefix("/") ? source.path : FileManager.default.currentDirectoryPath + "/" + source.path
            recorder = try RunRecorder(runsDirectory: runs, model: section.name,
                                       settings: Trainer.settingsObject(config, model: section.name, overrides: overrides,
                                                                        sourcePath: absolute, sourceCopy: base,
                                                                        checkpointEvery: checkpointEvery, patience: nil),
                                       source: source, environment: RunRecorder.environment(version: options.version), columns: columns)
        }
        if let recorder { log("recording the run in \(recorder.path)") }

        func checkpoint() throws {
            guard let recorder else { return }
            position.runCounts = runCounts
            try recorder.saveCheckpoint(Checkpoint(state: try allState(), position: position))
        }

        return try RunRecorder.recordingStatus(of: recorder, runEpochs)

        func runEpochs() throws -> TrainResult {
            let described = phases.map { "[\($0.schedule.joined(separator: ", "))]" + (phases.count > 1 ? " for \($0.epochs)" : "") }
            log("training steps \(described.joined(separator: " then ")) of \(section.name) on \(prepared.train.count) examples; \(config.training.optimizer.kind.rawValue), batch \(config.batch), \(config.epochs) epochs")
            let loop = TrainStepLoop(resuming: position)
            while position.epoch <= config.epochs {
                let epoch = position.epoch
                let order = self.schedule(epoch: epoch)
                let runsPerBatch = Dictionary(order.map { ($0, 1) }, uniquingKeysWith: +)
                let start = loop.clock.now
                let batches = Batches(prepared.train, size: config.batch, shuffleSeed: UInt64(truncatingIfNeeded: config.seed), epoch: epoch)
                var sums = position.stepLossSums ?? [:]
                for k in position.batch..<batches.count {
                    let batch = batches[k]
                    let lr = schedule.rate(epoch: epoch, step: position.step, stepsPerEpoch: batches.count)
                    var total = 0.0
                    for name in order {
                        let loss = try run(name, batch: batch, lr: lr)
                        guard loss.isFinite else {
                            throw DLCError("the loss of step '\(name)' became \(loss) at epoch \(epoch), batch \(k + 1); lower the learning rate or clip gradients (clip_norm)")
                        }
                        sums[name, default: 0] += loss * Double(batch.count)
                        total += loss / Double(runsPerBatch[name]!)
                        recorder?.recordStep(step: position.step + 1, epoch: epoch, loss: loss, lr: lr, name: name)
                    }
                    position.lossSum += total * Double(batch.count)
                    position.seen += batch.count
                    position.step += 1
                    position.batch = k + 1
                    position.stepLossSums = sums
                    try loop.afterStep(position, epoch: epoch, epochs: config.epochs, batch: k, batches: batches.count,
                                       totalSteps: batches.count * config.epochs, batchSize: config.batch,
                                       every: checkpointEvery, runDirectory: recorder?.path, shouldStop: options.shouldStop,
                                       progress: progress) { position.seconds = $0; try checkpoint() }
                }
                let seen = Double(max(1, position.seen))
                var record = EpochRecord(epoch: epoch, loss: position.lossSum / seen, trainAccuracy: nil, validationAccuracy: nil, seconds: 0)
                for name in stepNames where runsPerBatch[name] != nil {
                    record.metrics[name + "_loss"] = (sums[name] ?? 0) / seen / Double(runsPerBatch[name]!)
                }
                record.seconds = (loop.clock.now - start).seconds
                position.records.append(record)
                recorder?.recordEpoch(record)
                var line = Trainer.format(record, of: config.epochs)
                if let samples, let recorder, samples.isDue(epoch: epoch, of: config.epochs) {
                    let path = try samples.write(epoch: epoch, state: parameters(of: samples.model), directory: recorder.path)
                    line += "  samples \(path.split(separator: "/").suffix(2).joined(separator: "/"))"
                }
                log(line)
                position.epoch += 1
                position.batch = 0
                position.lossSum = 0
                position.stepLossSums = nil
                position.seenBefore += position.seen
                position.seen = 0
                position.seconds = loop.seconds
                if position.epoch <= config.epochs { try checkpoint() }
            }
            position.seconds = loop.seconds
            position.finished = true
            try checkpoint()
            try recorder?.saveWeights(shared, as: "weights.safetensors")
            let test = try evaluate(on: prepared.test, log: log)
            if let recorder {
                var summary: [String: Any] = ["model": section.name, "epochs": position.records.count, "steps": position.step,
                                              "seconds": position.seconds]
                if let last = position.records.last {
                    summary["final_train_loss"] = last.loss
                    for (k, v) in last.metrics where v.isFinite { summary["final_" + k] = v }
                }
                if let test {
                    summary["test"] = ["loss": test.loss, "accuracy": test.accuracy]
                    summary["test_step"] = test.step
                }
                try recorder.writeJSON(summary, to: "summary.json")
            }
            var result = TrainResult(model: section.name, epochs: position.records, testAccuracy: test?.accuracy, testLoss: test?.loss,
                                     seconds: position.seconds, parameters: shared, config: config)
            result.runDirectory = recorder?.path
            result.source = source
            return result
        }
    }
}

extension MultiStepTrainer {
    /// The test split's loss and accuracy of the last phase's classification step (one whose
    /// objective ends in cross_entropy of integer labels), in inference mode with the
    /// trained parameters; nil when there is none or no test split.
    func evaluate(on data: Dataset, log: (String) -> Void) throws -> (step: String, loss: Double, accuracy: Double)? {
        guard data.count > 0 else { return nil }
        let fresh = Compiler(registry: registry).compile(source, options: CompileOptions())
        guard let section = fresh.trainSections.first(where: { $0.name == self.section.name }),
              let name = phases.last?.schedule.last(where: { section.stepGraphs[$0]?.outputs.contains { $0.name == Elaborator.predictionOutput } == true }),
              let graph = section.stepGraphs[name], let loss = graph.losses.first else { return nil }
        graph.outputs.append(NamedValue(name: "loss", value: loss.value, location: loss.location))
        let io = try ModelInterface(graph)
        guard io.labels != nil else { return nil }
        try ExecutionPasses.run(graph, registry: registry, inference: true)
        let runner = try StepRunner(graph: graph, registry: registry, training: false, seed: 0)
        let names = Set(graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue })
        try runner.setState(shared.filter { names.contains($0.key) })
        var lossSum = 0.0, correct = 0
        for batch in Batches(data, size: 256) {
            let out = try runner.run(try io.feed(batch), batch: batch.count)
            lossSum += out["loss"]!.doubles[0] * Double(batch.count)
            correct += Metrics.correctCount(scores: out[Elaborator.predictionOutput]!, labels: batch.y)
        }
        let result = (step: name, loss: lossSum / Double(data.count), accuracy: Double(correct) / Double(data.count))
        log("test (step \(name)) loss \(Trainer.round(result.loss)) accuracy \(Trainer.percent(result.accuracy)) on \(data.count) examples")
        return result
    }
}
