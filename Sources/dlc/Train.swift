import ArgumentParser
import DLCCore
import DLCDriver
import DLCExperiment
#if canImport(Glibc)
import Glibc
#endif

/// `dlc train FILE.dlg`: train a model on its train section's data and report accuracy.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model of a .dlg file on the data of its train section.",
        discussion: "Exit status: 0 when training finishes, 1 for errors in the file or the data, 2 for usage errors.")

    @Argument(help: "The .dlg file.")
    var file: String

    @Option(help: "The model to train (when the file has several).")
    var model: String?

    @Option(help: "Override the number of epochs.")
    var epochs: Int?

    @Option(help: "Override the batch size.")
    var batch: Int?

    @Option(help: "Override the seed of initialization, shuffling and dropout.")
    var seed: Int?

    @Option(help: "Override the learning rate.")
    var lr: Double?

    @Flag(help: "End with one line of JSON: test_accuracy, test_loss, epochs, seconds.")
    var json = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the trained model (inference plan and weights) to this .dlp file.")
    var output: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let lr, !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be a positive number") }
    }

    func run() throws {
        let registry = Registry.shared
        Compiler.installStandardPlugins(into: registry)
        let source: SourceFile
        do {
            source = try SourceLoader.load(path: file)
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(2)
        }
        do {
            let bar = ProgressBar(enabled: isatty(1) != 0)
            let result = try Trainer(registry: registry).train(
                source, model: model, overrides: TrainOverrides(epochs: epochs, batch: batch, seed: seed, lr: lr),
                progress: { bar.show($0) },
                log: { bar.clear(); FileHandle.standardOutput.write($0 + "\n") })
            if json {
                func number(_ v: Double?) -> String { v.map { "\($0)" } ?? "null" }
                print("{\"model\":\"\(result.model)\",\"test_accuracy\":\(number(result.testAccuracy)),"
                      + "\"test_loss\":\(number(result.testLoss)),\"epochs\":\(result.epochs.count),"
                      + "\"final_train_loss\":\(number(result.epochs.last?.loss)),\"seconds\":\(result.seconds)}")
            }
            if let output {
                let graph = Compiler(registry: registry).compile(source, options: CompileOptions(model: result.model)).graphs[0]
                try PlanExport.prepareForInference(graph, registry: registry)
                try PlanExport.write(graph, weights: result.parameters, batch: 1, to: output, registry: registry)
                FileHandle.standardOutput.write("wrote \(output)\n")
            }
        } catch let e as CompileFailure {
            FileHandle.standardError.write(e.text)
            throw ExitCode(1)
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(1)
        }
    }
}
