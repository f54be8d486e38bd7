import DLCCore
import DLCCPU
import DLCFrontend
import DLCPasses
import DLCTraining

/// Measures how long each compiler phase takes on one file, down to the execution plan:
/// several runs, medians reported.
public struct CompileBenchmark {
    public struct Timing: Sendable {
        public var parse: Double
        public var elaborate: Double
        /// The standard pipeline (verify, infer-shapes, dce).
        public var passes: Double
        /// Building the training step (autodiff, optimizer); 0 for inference.
        public var trainingStep: Double = 0
        /// The execution passes (simplification and fusion).
        public var optimize: Double = 0
        /// Lowering and memory planning.
        public var lower: Double = 0
        /// The front end alone (what `dlc compile` does to check a file).
        public var frontEnd: Double { parse + elaborate + passes }
        public var total: Double { frontEnd + trainingStep + optimize + lower }
    }

    public let registry: Registry
    public init(registry: Registry) { self.registry = registry }

    /// Times `runs` compilations (after one warm-up), each down to an execution plan of every
    /// model at batch `batch`: of its training step (`inference` false; a model without a loss
    /// is lowered for inference) or of inference. Times are in milliseconds.
    /// - Throws: `DLCError` if the file does not compile or a plan cannot be built.
    public func run(_ file: SourceFile, runs: Int, inference: Bool = false, batch: Int = 64) throws
        -> (median: Timing, nodes: Int, runs: [Timing]) {
        var timings: [Timing] = []
        var nodes = 0
        let clock = ContinuousClock()
        for i in 0...max(1, runs) {
            let diags = DiagnosticEngine()
            var unit: SourceUnit!
            let tParse = clock.measure { unit = Parser.parse(file, diagnostics: diags) }
            var elaboration: Elaboration!
            let tElab = clock.measure { elaboration = Elaborator(unit: unit, registry: registry, diagnostics: diags).run() }
            let graphs = elaboration.graphs
            guard !diags.hasErrors else { throw DLCError("\(file.path) does not compile; run 'dlc compile \(file.path)' to see why") }
            let pipeline = try PassManager(names: Pipelines.standard, registry: registry)
            let context = PassContext(registry: registry, diagnostics: diags)
            let tPass = clock.measure { for g in graphs { pipeline.run(on: g, context: context) } }
            nodes = graphs.reduce(0) { $0 + $1.nodes.count }
            var t = Timing(parse: tParse.ms, elaborate: tElab.ms, passes: tPass.ms)
            let sections = elaboration.trainSections
            for g in graphs {
                let train = !inference && !g.losses.isEmpty
                let config = sections.first { $0.model == g.name }.map(TrainConfig.init) ?? TrainConfig()
                let options = train ? try config.trainingOptions(for: g) : nil
                t.trainingStep += try clock.measure {
                    if let options { _ = try TrainingGraph.build(g, options: options, registry: registry) } else {
                        try PlanExport.prepareForInference(g, registry: registry)
                    }
                }.ms
                t.optimize += try clock.measure { try ExecutionPasses.run(g, registry: registry, inference: !train) }.ms
                t.lower += try clock.measure {
                    _ = try ExecutionPlan.build(g, bindings: PlanExport.bindings(g, batch: batch), registry: registry, training: train)
                }.ms
            }
            if i > 0 { timings.append(t) }
        }
        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let m = Timing(parse: median(timings.map(\.parse)), elaborate: median(timings.map(\.elaborate)),
                       passes: median(timings.map(\.passes)), trainingStep: median(timings.map(\.trainingStep)),
                       optimize: median(timings.map(\.optimize)), lower: median(timings.map(\.lower)))
        return (m, nodes, timings)
    }
}

extension Duration {
    var ms: Double {
        let (s, atto) = components
        return Double(s) * 1e3 + Double(atto) / 1e15
    }
}
