import ArgumentParser
import DLCCore
import DLCDriver
import DLCExperiment

/// `dlc eval RUN|WEIGHTS`: evaluates trained weights and prints the metrics table.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model: a run directory, a checkpoint, or a weights file with its .dlg.",
        discussion: """
            Evaluates on the run's test split by default, with the preprocessing the run saved \
            (preprocessing.json). Prints accuracy, per-class precision/recall/F1 with macro and micro \
            averages, ROC AUC, log loss and the confusion matrix (MSE, MAE and R² for regression). \
            Exit status: 0, 1 for a missing or damaged run, weights that do not fit the model, or bad data, \
            2 for usage errors.
            """)

    @Argument(help: "A run directory, a checkpoint (RUN/checkpoints/step-N.safetensors) or a .safetensors weights file.")
    var target: String

    @Argument(help: "The .dlg file (required for weights outside a run directory; default: the run's copy).")
    var file: String?

    @Option(help: "test (default), validation, train or all of the run's examples, or a data source such as 'csv(path: \"new.csv\")'.")
    var data: String?

    @Option(help: "The model (default: the run's).")
    var model: String?

    @Flag(help: "Print the report as one line of JSON instead of the table.")
    var json = false

    func run() throws {
        let registry = standardRegistry()
        try exitingOnErrors {
            let result = try ModelEvaluator(registry: registry).evaluate(target, source: file, model: model, data: data)
            print(json ? result.jsonLine() : result.table(), terminator: json ? "\n" : "")
        }
    }
}
