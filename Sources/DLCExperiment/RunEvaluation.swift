import DLCCore
import DLCData
import DLCDriver
import DLCFrontend
import Foundation

/// The outcome of `ModelEvaluator.evaluate`: the model's predictions on the data and what
/// was evaluated.
public struct ModelEvaluationResult {
    public var model: String
    /// The data evaluated ("the test split", "csv(path: …)").
    public var data: String
    /// The weights used (a file, or a checkpoint).
    public var weights: String
    /// Where the preprocessing came from: the run's `preprocessing.json`, or fitted again on
    /// the training split (weights without a run, runs recorded before it was saved).
    public var preprocessing: String
    public var evaluation: Evaluation
    /// The metrics that apply (classification or regression), in table order.
    public var metricNames: [String]
}

/// `dlc eval`: evaluates trained weights — a run directory (its final weights), a checkpoint
/// or a safetensors file with the `.dlg` it belongs to — on the run's test split (or another
/// split, or another data source), with the preprocessing the run saved.
public final class ModelEvaluator {
    public let registry: Registry

    public init(registry: Registry) { self.registry = registry }

    /// Where the weights, the run and the source are.
    struct Located {
        var run: String?
        var weights: [String: HostTensor]
        var weightsName: String
    }

    /// - Parameters:
    ///   - target: a run directory, a checkpoint (`checkpoints/step-N.safetensors`) or a
    ///     safetensors weights file.
    ///   - sourcePath: the `.dlg` file (required for weights outside a run directory).
    ///   - model: the model (default: the run's, or the file's only trained model).
    ///   - data: `test` (default), `validation`, `train` or `all` (the run's splits), or a data
    ///     source as a train section writes it (`csv(path: "new.csv")`), evaluated whole.
    /// - Throws: `DLCError` for a missing or damaged run or file, weights that do not fit the
    ///   model, or bad data; `CompileFailure` for errors in the source.
    public func evaluate(_ target: String, source sourcePath: String? = nil, model: String? = nil,
                         data: String? = nil) throws -> ModelEvaluationResult {
        let located = try locate(target)
        var settings: [String: Any] = [:]
        let source: SourceFile
        var sourceDirectory: String?
        if let sourcePath {
            source = try SourceLoader.load(path: sourcePath)
            sourceDirectory = Self.directory(of: sourcePath)
        } else if let run = located.run {
            settings = try RunRecorder.readJSON(run + "/settings.json")
            guard let copy = settings["source_copy"] as? String,
                  let bytes = FileManager.default.contents(atPath: run + "/" + copy) else {
                throw DLCError("\(run): the run's copy of its source is missing (settings.json names none, or the file is gone)")
            }
            let original = settings["source_path"] as? String ?? run + "/" + copy
            source = SourceFile(path: original, bytes: [UInt8](bytes))
            sourceDirectory = Self.directory(of: original)
        } else {
            throw DLCError("\(target) is a weights file outside a run directory; give the .dlg file it belongs to")
        }
        if sourcePath != nil, let run = located.run { settings = (try? RunRecorder.readJSON(run + "/settings.json")) ?? [:] }
        let overrides = TrainOverrides(dictionary: settings["overrides"] as? [String: Any] ?? [:])
        let trainer = Trainer(registry: registry)
        if model == nil, let name = settings["model"] as? String, trainer.trainsSteps(source, model: name) {
            throw DLCError("\(target): the run trained the steps of section '\(name)' (several models); dlc eval evaluates one model (a classification step's test metrics are in the run's summary.json)")
        }
        let (graph, section, _) = try trainer.compileModel(source, model: model ?? settings["model"] as? String,
                                                           settings: overrides.settings)
        let config = section.map(TrainConfig.init) ?? TrainConfig()
        try Self.checkWeights(located.weights, fit: graph, name: located.weightsName)

        // The run's splits, and the preprocessing fitted on its training split.
        var all = try config.data.load(relativeTo: sourceDirectory)
        if let classes = config.classes { all = try all.selectingClasses(classes, source: "data: classes") }
        var splits = try Splits(all, train: config.split - config.validation, validation: config.validation,
                                seed: UInt64(truncatingIfNeeded: config.dataSeed))
        if let fraction = config.subset { splits.train = splits.train.prefix(fraction: fraction) }
        let fitted: FittedPreprocessing, origin: String
        if let run = located.run, let saved = try FittedPreprocessing.saved(in: run) {
            (fitted, origin) = (saved, "\(run)/\(FittedPreprocessing.fileName)")
        } else {
            (fitted, origin) = (try FittedPreprocessing.fit(config.preprocess, on: splits.train), "fitted on the training split")
        }
        let (examples, description) = try select(data, all: all, splits: splits, fitted: fitted)
        guard examples.count > 0 else { throw DLCError("\(description) has no examples to evaluate") }

        let io = try ModelInterface(graph)
        try io.check(examples, source: description)
        try ExecutionPasses.run(graph, registry: registry, inference: true)
        let runner = try StepRunner(graph: graph, registry: registry, training: false, seed: 0)
        let parameters = Set(graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue })
        try runner.setState(located.weights.filter { parameters.contains($0.key) })
        let classification = io.prediction != nil && examples.hasClassLabels
        let evaluation = try trainer.evaluate(runner, io, examples, classification: classification)
        let names = classification ? ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"] : ["mse", "mae", "r2"]
        return ModelEvaluationResult(model: graph.name, data: description, weights: located.weightsName,
                                     preprocessing: origin, evaluation: evaluation, metricNames: names)
    }

    static func directory(of path: String) -> String? {
        path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : nil
    }

    /// The run directory, checkpoint or weights file named by `target`.
    func locate(_ target: String) throws -> Located {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
            throw DLCError("no run directory or weights file '\(target)'")
        }
        let fm = FileManager.default
        if isDirectory.boolValue {
            let run = target.hasSuffix("/") ? String(target.dropLast()) : target
            guard fm.fileExists(atPath: run + "/settings.json") else {
                throw DLCError("'\(target)' is not a run directory (it has no settings.json)")
            }
            for name in ["weights.safetensors", "best.safetensors"] where fm.fileExists(atPath: run + "/" + name) {
                return Located(run: run, weights: try Safetensors.read(run + "/" + name).tensors, weightsName: run + "/" + name)
            }
            guard let newest = Checkpoint.files(in: run).first else {
                throw DLCError("\(run) has no weights to evaluate (no weights.safetensors, best.safetensors or checkpoint; did the run fail before saving any?)")
            }
            return Located(run: run, weights: try Checkpoint.read(newest).state, weightsName: newest)
        }
        let (tensors, metadata) = try Safetensors.read(target)
        let parent = Self.directory(of: target) ?? "."
        var run: String? = parent
        if metadata[Checkpoint.key] != nil, parent.hasSuffix("checkpoints") { run = Self.directory(of: parent) ?? "." }
        if let r = run, !fm.fileExists(atPath: r + "/settings.json") { run = nil }
        return Located(run: run, weights: tensors, weightsName: target)
    }

    /// Every parameter of the model must be in the weights with its shape and dtype.
    static func checkWeights(_ weights: [String: HostTensor], fit graph: Graph, name: String) throws {
        for node in graph.paramNodes {
            guard let p = node.attributes["name"]?.stringValue else { continue }
            let type = graph[node.outputs[0]].type
            guard let w = weights[p] else {
                throw DLCError("\(name) does not fit model '\(graph.name)': it has no tensor '\(p)' (\(type))")
            }
            let shape = type.shape.compactMap(\.value)
            guard w.shape == shape else {
                throw DLCError("\(name) does not fit model '\(graph.name)': '\(p)' is \(w.shape) in the file but \(type) in the model")
            }
        }
    }

    /// The examples to evaluate, preprocessed, and how to name them.
    func select(_ data: String?, all: Dataset, splits: Splits, fitted: FittedPreprocessing) throws -> (Dataset, String) {
        switch data ?? "test" {
        case "test": return (try fitted.apply(splits.test, source: "test split"), "the test split")
        case "validation": return (try fitted.apply(splits.validation, source: "validation split"), "the validation split")
        case "train": return (try fitted.apply(splits.train, source: "training split"), "the training split")
        case "all": return (try fitted.apply(all, source: "data set"), "all examples")
        case let text:
            let source = try dataSource(text)
            var d = try source.data.load(relativeTo: nil)
            if let classes = source.classes { d = try d.selectingClasses(classes, source: text) }
            return (try fitted.apply(d, source: text), text)
        }
    }

    /// Reads `--data` as a train section's `data:` value, checked the same way (the settings
    /// it makes: the source and its `classes`).
    func dataSource(_ text: String) throws -> TrainConfig {
        guard !text.contains("\n") else { throw DLCError("--data: one line, e.g. csv(path: \"new.csv\")") }
        let snippet = "model EvalData {\n  input x: f32[N, 1]\n  output y = relu(x)\n}\ntrain EvalData {\n  data: \(text)\n}\n"
        let result = Compiler(registry: registry).compile(SourceFile(path: "--data", bytes: Array(snippet.utf8)))
        guard result.status == 0, let section = result.trainSections.first, section.settings["data"] != nil else {
            let first = result.diagnosticsText.split(separator: "\n").first.map(String.init) ?? ""
            let cause = first.components(separatedBy: "error: ").last ?? first
            throw DLCError("--data '\(text)': \(cause.isEmpty ? "not a data source" : cause) (use test, validation, train, all, or a data source such as csv(path: \"new.csv\"))")
        }
        return TrainConfig(section)
    }
}
