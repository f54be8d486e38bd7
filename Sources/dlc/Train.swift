import ArgumentParser
import DLCCore
import DLCData
import DLCDriver
import DLCExperiment
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT; the training loop polls it after each step.
private var interruptRequested: sig_atomic_t = 0

/// `dlc train FILE.dlg`: train a model on its train section's data and report accuracy.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model of a .dlg file on the data of its train section.",
        discussion: """
            Each run is recorded in RUNS-DIR/<model>-<timestamp>/ (settings, source, metrics, checkpoints, \
            weights). Ctrl-C saves a checkpoint and exits with 130; --resume RUN continues the run exactly. \
            Exit status: 0 when training finishes, 1 for errors in the file or the data, 2 for usage errors, \
            130 when interrupted.
            """)

    @Argument(help: "The .dlg file (not with --resume).")
    var file: String?

    @Option(help: "The model to train (when the file has several).")
    var model: String?

    // .unconditional: a negative number after the option is its value (and then rejected), not an option.
    @Option(parsing: .unconditional, help: "Override the number of epochs.")
    var epochs: Int?

    // .unconditional: a negative number after the option is its value (and then rejected), not an option.
    @Option(parsing: .unconditional, help: "Override the batch size.")
    var batch: Int?

    // .unconditional: a negative number after the option is its value (and then rejected), not an option.
    @Option(parsing: .unconditional, help: "Override the seed of initialization, shuffling and dropout.")
    var seed: Int?

    // .unconditional: a negative number after the option is its value (and then rejected), not an option.
    @Option(parsing: .unconditional, help: "Override the learning rate.")
    var lr: Double?

    @Flag(help: "End with one line of JSON with the keys model, test_accuracy, test_loss, epochs, final_train_loss, seconds and run (the run directory; null with --no-record).")
    var json = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the trained model to this file: an inference plan with its weights (.dlp), or the weights alone (.safetensors).")
    var output: String?

    @Option(help: "The directory runs are recorded in.")
    var runsDir = "runs"

    @Flag(help: "Do not record the run.")
    var noRecord = false

    @Option(help: "Continue the run in this directory from its newest checkpoint.")
    var resume: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a train setting that takes one value, an optimizer argument or a static argument of the model (repeatable).", valueName: "name=value"))
    var settings: [String] = []

    @Option(help: ArgumentHelp("Record the run in exactly this directory instead of a new one in --runs-dir (a sweep's trials).", valueName: "dir"))
    var runDir: String?

    func validate() throws {
        if resume != nil {
            if file != nil { throw ValidationError("--resume takes the run's directory instead of a .dlg file") }
            if epochs != nil || batch != nil || seed != nil || lr != nil || model != nil || !settings.isEmpty || runDir != nil {
                throw ValidationError("--resume continues a run with its own settings; --model, --epochs, --batch, --seed, --lr, --set and --run-dir do not apply")
            }
        } else if file == nil {
            throw ValidationError("give the .dlg file to train, or --resume RUN")
        }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let lr, !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be a positive number, found \(lr)") }
        if let output { try asUsage { try OutputPath.check(output) } }
        if noRecord && runDir != nil { throw ValidationError("--no-record and --run-dir exclude each other") }
        for s in settings {
            do { _ = try TrainOverrides.parseSetting(s) } catch let e as DLCError { throw ValidationError(e.message) }
        }
    }

    func run() throws {
        let registry = standardRegistry()
        var source: SourceFile?
        if let file {
            source = try loadSource(file)
        }
        if let output, !output.hasSuffix(".safetensors"), let source, Trainer(registry: registry).trainsSteps(source, model: model) {
            FileHandle.standardError.write("error: -o \(output): a section with steps trains several models, and a .dlp plan holds one; write their weights with -o FILE.safetensors\n")
            throw ExitCode(2)
        }
        signal(SIGINT) { _ in interruptRequested = 1 }
        defer { signal(SIGINT, SIG_DFL) }
        try exitingOnErrors {
            do {
                let bar = ProgressBar(enabled: isatty(1) != 0)
                let options = RunOptions(runsDirectory: noRecord ? nil : runsDir, version: dlcVersion, runDirectory: runDir,
                                         shouldStop: { interruptRequested != 0 })
                let log: (String) -> Void = { bar.clear(); FileHandle.standardOutput.write($0 + "\n") }
                let result: TrainResult
                if let resume {
                    result = try Trainer(registry: registry).resume(resume, options: options, progress: { bar.show($0) }, log: log)
                } else {
                    result = try Trainer(registry: registry).train(
                        source!, model: model, overrides: TrainOverrides(epochs: epochs, batch: batch, seed: seed, lr: lr,
                                                                     settings: try settings.map(TrainOverrides.parseSetting)),
                        options: options, progress: { bar.show($0) }, log: log)
                }
                if json {
                    func number(_ v: Double?) -> String { v.map { "\($0)" } ?? "null" }
                    print("{\"model\":\"\(result.model)\",\"test_accuracy\":\(number(result.testAccuracy)),"
                          + "\"test_loss\":\(number(result.testLoss)),\"epochs\":\(result.epochs.count),"
                          + "\"final_train_loss\":\(number(result.epochs.last?.loss)),\"seconds\":\(result.seconds),"
                          + "\"run\":\(result.runDirectory.map { "\"\($0)\"" } ?? "null")}")
                }
                if let output {
                    if let steps = result.config.section?.steps, !steps.isEmpty {
                        // Several models: their parameters as `Model.param`.
                        try Safetensors.write(result.parameters, to: output)
                        FileHandle.standardOutput.write("wrote \(output)\n")
                        return
                    }
                    let graph = Compiler(registry: registry).compile(result.source ?? source!, options: CompileOptions(model: result.model)).graphs[0]
                    if output.hasSuffix(".safetensors") {
                        // The model's parameters and state only (not the optimizer's), by parameter name.
                        let names = Set(graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue })
                        try Safetensors.write(result.parameters.filter { names.contains($0.key) }, to: output)
                    } else {
                        try PlanExport.prepareForInference(graph, registry: registry)
                        try PlanExport.write(graph, weights: result.parameters, batch: 1, to: output, registry: registry)
                    }
                    FileHandle.standardOutput.write("wrote \(output)\n")
                }
            } catch let e as TrainInterrupted {
                FileHandle.standardOutput.write("interrupted at epoch \(e.epoch), step \(e.step)"
                    + (e.runDirectory.map { "; checkpoint saved; continue with: dlc train --resume \($0)" } ?? "") + "\n")
                throw ExitCode(130)
            }
        }
    }
}
