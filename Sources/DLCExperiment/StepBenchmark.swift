import DLCCore
import DLCCPU
import DLCDriver
import DLCReference
import DLCTraining

/// Times a model's training step or inference on the CPU back end, the way
/// `../shared/bench/peers.py` times its peers: 5 warm-up steps, an inner loop calibrated to
/// last at least 50 ms, then `reps` timed repetitions; medians and minima in ms per step.
/// Inputs are random (features from a normal distribution, labels cycling over the classes).
public struct StepBenchmark {
    public struct Result: Sendable {
        public var mode: String
        public var batch: Int
        public var median: Double
        public var minimum: Double
        public var reps: Int
        /// Kernels per step in the plan (without those that run once per state).
        public var kernels: Int
        /// Kernels that run only when the weights change (inference: a folded batch norm's weights).
        public var onceKernels: Int
        public var arenaBytes: Int
        /// Timed steps in all (repetitions × steps per repetition).
        public var steps: Int
        /// Threads the kernels may use.
        public var threads: Int
        /// The process's peak resident memory after the run.
        public var peakRSSBytes: Int
        /// Time per step of each kernel (with `profile`), in plan order.
        public var profile: [StepTime] = []
    }

    /// One kernel's share of a step (`dlc bench --profile`).
    public struct StepTime: Sendable {
        /// The step's index in the plan, its kernel kind and op.
        public var index: Int
        public var kernel: String
        public var op: String
        /// The shape of its first result.
        public var shape: [Int]
        /// Mean milliseconds per run.
        public var ms: Double
    }

    public let registry: Registry
    public init(registry: Registry) { self.registry = registry }

    /// - Throws: `CompileFailure` for errors in the file, `DLCError` when the plan cannot be built.
    /// - Parameters:
    ///   - steps: steps per timed repetition; nil calibrates it to at least 50 ms.
    ///   - fuse: run the execution passes (fusion); false times the unfused plan.
    ///   - disabled: passes to skip (`--disable-pass`); an unknown name is a compile error.
    ///   - profile: after the timed repetitions, time each kernel over as many steps again.
    public func run(_ source: SourceFile, model: String?, batch: Int, inference: Bool, reps: Int = 9,
                    steps: Int? = nil, fuse: Bool = true, disabled: Set<String> = [], profile: Bool = false) throws -> Result {
        var options = CompileOptions(model: model)
        options.disabledPasses = disabled
        let r = Compiler(registry: registry).compile(source, options: options)
        guard r.status == 0 else { throw CompileFailure(text: r.diagnosticsText) }
        guard r.graphs.count == 1, let graph = r.graphs.first else {
            throw DLCError("\(source.path) has \(r.graphs.count) models; choose one with --model")
        }
        let config = r.trainSections.first { $0.model == graph.name }.map(TrainConfig.init) ?? TrainConfig()
        if inference {
            try PlanExport.prepareForInference(graph, registry: registry)
        } else {
            _ = try TrainingGraph.build(graph, options: try config.trainingOptions(for: graph), registry: registry)
        }
        try ExecutionPasses.run(graph, registry: registry, fuse: fuse, disabled: disabled, inference: inference)
        let plan = try ExecutionPlan.build(graph, bindings: PlanExport.bindings(graph, batch: batch), registry: registry,
                                           training: !inference)
        let executor = try Executor(plan: plan)
        try executor.setState(ParameterInitializer.initialize(graph, seed: 0).filter { name, _ in
            plan.state.contains { $0.name == name }
        })
        let feed = try Self.inputs(graph, batch: batch, lr: config.training.optimizer.lr)
        let step = { _ = try executor.run(inputs: feed) }

        let clock = ContinuousClock()
        for _ in 0..<5 { try step() }
        var inner = steps ?? 1
        while steps == nil {
            let t = try clock.measure { for _ in 0..<inner { try step() } }
            if t >= .milliseconds(50) { break }
            inner *= 2
        }
        var times: [Double] = []
        for _ in 0..<reps {
            let t = try clock.measure { for _ in 0..<inner { try step() } }
            times.append(t.ms / Double(inner))
        }
        times.sort()
        var result = Result(mode: inference ? "infer" : "train", batch: batch, median: times[times.count / 2], minimum: times[0],
                            reps: reps, kernels: plan.stepsPerRun, onceKernels: plan.stateDerivedStepCount, arenaBytes: plan.arenaBytes, steps: reps * inner,
                            threads: CPUThreads.maxThreads, peakRSSBytes: ProcessMemory.peakResidentBytes)
        if profile {
            executor.profiling = true
            let runs = reps * inner
            for _ in 0..<runs { try step() }
            // State-derived steps ran before profiling started (once per state); they are not listed.
            result.profile = plan.steps.enumerated().filter { !$0.element.stateDerived }.map { i, s in
                StepTime(index: i, kernel: s.kernel.rawValue, op: s.op, shape: s.outputs.first.map { plan.buffers[$0].shape } ?? [],
                         ms: Double(executor.stepNanoseconds[i]) / 1e6 / Double(runs))
            }
        }
        return result
    }

    /// Random inputs of the right types for every input of the graph.
    static func inputs(_ graph: Graph, batch: Int, lr: Double) throws -> [String: HostTensor] {
        var rng = RandomSource(seed: 0)
        let classes = graph.outputs.lazy.map { graph[$0.value].type }.first { $0.rank == 2 }?.shape[1].value ?? 2
        var feed: [String: HostTensor] = [:]
        for node in graph.inputNodes {
            let name = node.attributes["name"]?.stringValue ?? "?"
            let type = graph[node.outputs[0]].type
            let shape = type.shape.map { $0.value ?? batch }
            let n = shape.reduce(1, *)
            if name == TrainingGraph.learningRateInput {
                feed[name] = HostTensor(shape: [], f64: [lr]).converted(to: type.dtype)
            } else if type.dtype.isFloat {
                feed[name] = HostTensor(shape: shape, f64: (0..<n).map { _ in rng.normal() }).converted(to: type.dtype)
            } else {
                feed[name] = HostTensor(shape: shape, f64: (0..<n).map { Double($0 % max(1, classes)) }).converted(to: type.dtype)
            }
        }
        return feed
    }
}

extension Duration {
    var ms: Double {
        let (s, atto) = components
        return Double(s) * 1e3 + Double(atto) / 1e15
    }
}
