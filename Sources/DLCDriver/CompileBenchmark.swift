import DLCCore
import DLCFrontend
import DLCPasses

/// Measures how long each compiler phase takes on one file: several runs, medians reported.
public struct CompileBenchmark {
    public struct Timing: Sendable {
        public var parse: Double
        public var elaborate: Double
        public var passes: Double
        public var total: Double { parse + elaborate + passes }
    }

    public let registry: Registry
    public init(registry: Registry) { self.registry = registry }

    /// Times `runs` compilations (after one warm-up). Times are in milliseconds.
    /// - Throws: `DLCError` if the file does not compile.
    public func run(_ file: SourceFile, runs: Int) throws -> (median: Timing, nodes: Int, runs: [Timing]) {
        var timings: [Timing] = []
        var nodes = 0
        let clock = ContinuousClock()
        for i in 0...max(1, runs) {
            let diags = DiagnosticEngine()
            var unit: SourceUnit!
            let tParse = clock.measure { unit = Parser.parse(file, diagnostics: diags) }
            var graphs: [Graph] = []
            let tElab = clock.measure { graphs = Elaborator(unit: unit, registry: registry, diagnostics: diags).run().graphs }
            guard !diags.hasErrors else { throw DLCError("\(file.path) does not compile; run 'dlc compile \(file.path)' to see why") }
            let pipeline = try PassManager(names: Pipelines.standard, registry: registry)
            let context = PassContext(registry: registry, diagnostics: diags)
            let tPass = clock.measure { for g in graphs { pipeline.run(on: g, context: context) } }
            nodes = graphs.reduce(0) { $0 + $1.nodes.count }
            if i > 0 { timings.append(Timing(parse: tParse.ms, elaborate: tElab.ms, passes: tPass.ms)) }
        }
        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let m = Timing(parse: median(timings.map(\.parse)), elaborate: median(timings.map(\.elaborate)),
                       passes: median(timings.map(\.passes)))
        return (m, nodes, timings)
    }
}

extension Duration {
    var ms: Double {
        let (s, atto) = components
        return Double(s) * 1e3 + Double(atto) / 1e15
    }
}
