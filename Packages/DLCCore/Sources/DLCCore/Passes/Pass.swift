/// A named graph-to-graph transformation. A pass reports problems to the diagnostic engine
/// and does not stop at the first one.
public protocol Pass {
    /// Kebab-case name used by `--print-after` and `--disable-pass`.
    var name: String { get }
    func run(on graph: Graph, context: PassContext)
}

/// A registered pass: its name and how to make one.
public struct PassSpec {
    public let name: String
    public let summary: String
    public let make: () -> Pass

    public init(name: String, summary: String, make: @escaping () -> Pass) {
        self.name = name
        self.summary = summary
        self.make = make
    }
}

/// What a pass may use besides the graph.
public final class PassContext {
    public let registry: Registry
    public let diagnostics: DiagnosticEngine

    public init(registry: Registry, diagnostics: DiagnosticEngine) {
        self.registry = registry
        self.diagnostics = diagnostics
    }
}

/// Runs a list of passes in order, calling `observe` after each (for `--print-after`).
/// Stops after a pass that reported an error: later passes may rely on a valid graph.
public struct PassManager {
    public var passes: [Pass]

    public init(passes: [Pass]) { self.passes = passes }

    /// Builds a pipeline from registered pass names.
    /// - Throws: `DLCError` for an unknown name.
    public init(names: [String], registry: Registry) throws {
        passes = try names.map { name in
            guard let spec = registry.passes[name] else {
                let hint = closestName(to: name, among: registry.passes.keys).map { "; did you mean '\($0)'?" } ?? ""
                throw DLCError("unknown pass '\(name)'\(hint)")
            }
            return spec.make()
        }
    }

    public func run(on graph: Graph, context: PassContext, observe: (String, Graph) -> Void = { _, _ in }) {
        for pass in passes {
            pass.run(on: graph, context: context)
            observe(pass.name, graph)
            if context.diagnostics.hasErrors { return }
        }
    }
}
