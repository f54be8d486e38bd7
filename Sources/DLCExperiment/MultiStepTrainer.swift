import DLCCore
import DLCData
import DLCDriver
import DLCFrontend
import DLCReference
import DLCTraining
import Foundation

/// Trains a train section's named steps (`step d: minimize … over Discriminator`): each step
/// is its own training graph (its objective, gradients with respect to its `over` models'
/// parameters only, its optimizer state) with its own executors; the models' parameters
/// (`Model.param`) are shared, kept here and handed to each step before it runs. Every batch
/// runs the `schedule` in order (default: the steps in declaration order; a step may appear
/// several times, e.g. `[d, d, g]`).
final class MultiStepTrainer {
    /// One compiled step.
    struct Step {
        let name: String
        let runner: StepRunner
        /// How the batch feeds it (nil: the objective reads no data, e.g. a generator's step).
        let io: ModelInterface?
        let lrDType: DType
        /// The models' parameters it reads, and those it writes back.
        let shared: [String]
        let updated: [String]
        /// Its own state: optimizer moments, `train.step`.
        let own: [String]
    }

    let registry: Registry
    let source: SourceFile
    let section: TrainSection
    var config: TrainConfig
    let overrides: TrainOverrides
    /// The phases: the schedule (step names in the order they run on every batch) and the
    /// epochs it runs for. Without `phases` one phase: `schedule` for all the epochs.
    let phases: [(schedule: [String], epochs: Int)]
    var steps: [String: Step] = [:]
    /// The models' parameters, by `Model.param`.
    var shared: [String: HostTensor] = [:]

    /// The section with steps that `dlc train FILE [--model NAME]` trains, if any: the one
    /// named NAME, or without a name the file's only section with steps.
    static func section(of result: CompileResult, requested: String?, file: String) throws -> TrainSection? {
        let withSteps = result.trainSections.filter { !$0.steps.isEmpty }
        if let requested { return withSteps.first { $0.name == requested } }
        guard withSteps.count <= 1 else {
            throw DLCError("\(file) has \(withSteps.count) train sections with steps (\(withSteps.map(\.name).joined(separator: ", "))); choose one with --model")
        }
        return withSteps.first
    }

    init(registry: Registry, source: SourceFile, section: TrainSection, overrides: TrainOverrides) throws {
        self.registry = registry
        self.source = source
        self.section = section
        self.overrides = overrides
        config = TrainConfig(section)
        config.training.loss = nil
        if let e = overrides.epochs { config.epochs = e }
        if let b = overrides.batch { config.batch = b }
        if let s = overrides.seed { config.seed = s }
        if let lr = overrides.lr { config.training.optimizer.lr = lr }
        if let set = overrides.settings.first {
            throw DLCError("--set \(set.name)=…: train section '\(section.name)' has steps, and --set changes one model's settings and static arguments")
        }
        for key in ["validation", "early_stopping", "loss", "sweep", "steps"] where section.settings[key] != nil {
            throw DLCError("train section '\(section.name)' has steps; '\(key)' applies to training one model and is not supported with steps")
        }
        func names(_ v: TrainValue?) -> [String]? {
            guard case .list(let items)? = v else { return nil }
            return items.compactMap { if case .value(let v) = $0 { v.stringValue } else { nil } }
        }
        if case .list(let items)? = section.settings["phases"] {
            if overrides.epochs != nil {
                throw DLCError("train section '\(section.name)' runs in phases, which give the epochs; --epochs does not apply")
            }
            phases = items.compactMap { item in
                guard case .call(_, let args) = item, let schedule = names(args["schedule"]),
                      case .value(.int(let epochs))? = args["epochs"] else { return nil }
                return (schedule, epochs)
            }
            config.epochs = phases.reduce(0) { $0 + $1.epochs }
        } else {
            phases = [(names(section.settings["schedule"]) ?? section.steps.map(\.name), config.epochs)]
        }
        let order = Set(phases.flatMap(\.schedule))
        let seed = UInt64(truncatingIfNeeded: config.seed)
        for (index, (name, _)) in section.steps.enumerated() where order.contains(name) {
            guard let graph = section.stepGraphs[name] else { throw DLCError("step '\(name)' of '\(section.name)' was not compiled") }
            let modelParams = graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue }
            _ = try TrainingGraph.build(graph, options: config.training, registry: registry)
            try ExecutionPasses.run(graph, registry: registry, inference: false)
            let initial = ParameterInitializer.initialize(graph, seed: seed)
            let updates = Set(graph.updates.map(\.name))
            let own = initial.keys.filter { !modelParams.contains($0) }.sorted()
            let runner = try StepRunner(graph: graph, registry: registry, training: true,
                                        seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            try runner.setState(initial.filter { own.contains($0.key) })
            for p in modelParams where shared[p] == nil { shared[p] = initial[p] }
            let features = graph.inputNodes.filter { $0.attributes["name"] != .string(TrainingGraph.learningRateInput) }
            let floats = features.filter { graph[$0.outputs[0]].type.dtype.isFloat }.compactMap { $0.attributes["name"]?.stringValue }
            guard floats.count <= 1, features.count - floats.count <= 1 else {
                let names = features.compactMap { $0.attributes["name"]?.stringValue }
                throw DLCError("step '\(name)' reads \(names.map { "'\($0)'" }.joined(separator: ", ")), but a step is fed one batch: its examples (one floating-point name) and labels (one integer name); draw noise in the objective, e.g. random_normal([N, 16])")
            }
            let lrDType = graph.inputNodes.first { $0.attributes["name"] == .string(TrainingGraph.learningRateInput) }
                .map { graph[$0.outputs[0]].type.dtype } ?? .f32
            steps[name] = Step(name: name, runner: runner, io: features.isEmpty ? nil : try ModelInterface(graph), lrDType: lrDType,
                               shared: modelParams, updated: modelParams.filter(updates.contains), own: own)
        }
    }

    /// The schedule of an epoch (1-based).
    func schedule(epoch: Int) -> [String] {
        var end = 0
        for phase in phases {
            end += phase.epochs
            if epoch <= end { return phase.schedule }
        }
        return phases.last?.schedule ?? []
    }

    /// The checkpointed state: the shared parameters, and each step's own state as `step/name`.
    func allState() throws -> [String: HostTensor] {
        var out = shared
        for (name, step) in steps {
            for (k, v) in try step.runner.state(step.own) { out[name + "/" + k] = v }
        }
        return out
    }

    func setAllState(_ state: [String: HostTensor]) throws {
        for (k, v) in state where !k.contains("/") { shared[k] = v }
        for (name, step) in steps {
            var own: [String: HostTensor] = [:]
            for (k, v) in state where k.hasPrefix(name + "/") { own[String(k.dropFirst(name.count + 1))] = v }
            try step.runner.setState(own)
        }
    }

    /// The parameters of one model under its own names (`param`, not `Model.param`).
    func parameters(of model: String) -> [String: HostTensor] {
        var out: [String: HostTensor] = [:]
        for (k, v) in shared where k.hasPrefix(model + ".") { out[String(k.dropFirst(model.count + 1))] = v }
        return out
    }

    var runCounts: [String: UInt64] {
        get {
            var out: [String: UInt64] = [:]
            for (name, step) in steps { for (b, n) in step.runner.runCounts { out["\(name)/\(b)"] = n } }
            return out
        }
        set {
            for (name, step) in steps {
                var counts: [Int: UInt64] = [:]
                for (k, n) in newValue where k.hasPrefix(name + "/") { if let b = Int(k.dropFirst(name.count + 1)) { counts[b] = n } }
                step.runner.runCounts = counts
            }
        }
    }

    /// Runs one step on a batch: hands it the shared parameters, runs it, takes back those it
    /// updated. Returns the step's loss.
    func run(_ name: String, batch: Dataset, lr: Double) throws -> Double {
        let step = steps[name]!
        var feed = try step.io?.feed(batch) ?? [:]
        feed[TrainingGraph.learningRateInput] = HostTensor(shape: [], f64: [lr]).converted(to: step.lrDType)
        try step.runner.setState(shared.filter { step.shared.contains($0.key) })
        let out = try step.runner.run(feed, batch: batch.count)
        for (k, v) in try step.runner.state(step.updated) { shared[k] = v }
        return out[TrainingGraph.lossOutput]!.doubles[0]
    }
}

extension Trainer {
    /// Whether `train(source, model:)` trains a section with steps (several models at once).
    public func trainsSteps(_ source: SourceFile, model: String?) -> Bool {
        let whole = Compiler(registry: registry).compile(source, options: CompileOptions())
        guard whole.status == 0, let found = try? MultiStepTrainer.section(of: whole, requested: model, file: source.path) else {
            return false
        }
        return found != nil
    }
}
