import DLCCore
import DLCCPU
import DLCData
import DLCPasses

/// `.dlp` files for inference: writing a model's plan with its weights, and running one on
/// NumPy inputs. The exported graph is the model's inference graph: losses are dropped and
/// so are the inputs only they used (the labels), so running needs just the features.
public enum PlanExport {
    /// Prunes a model graph (in place) to what its outputs need.
    /// - Throws: `DLCError` when the model has no output to export.
    public static func prepareForInference(_ graph: Graph, registry: Registry) throws {
        guard !graph.outputs.isEmpty else {
            throw DLCError("model '\(graph.name)' has no output to run; declare one with 'output NAME = …'")
        }
        graph.losses = []
        graph.updates = []
        let diagnostics = DiagnosticEngine()
        DeadCodeEliminationPass(keepUnusedInputs: false).run(on: graph, context: PassContext(registry: registry, diagnostics: diagnostics))
    }

    /// Bindings of the graph's symbolic dimensions, all set to `batch`.
    public static func bindings(_ graph: Graph, batch: Int) -> [String: Int] {
        var b: [String: Int] = [:]
        for node in graph.inputNodes {
            for case .symbol(let s) in graph[node.outputs[0]].type.shape { b[s] = batch }
        }
        return b
    }

    /// Lowers an (inference) graph for `batch` and writes it with `weights` to `path`, atomically.
    public static func write(_ graph: Graph, weights: [String: HostTensor], batch: Int, to path: String,
                             registry: Registry) throws {
        try ExecutionPasses.run(graph, registry: registry, inference: true)  // the stored graph is the optimized one
        let plan = try ExecutionPlan.build(graph, bindings: bindings(graph, batch: batch), registry: registry)
        let names = Set(plan.state.map(\.name))
        try AtomicFile.write(try PlanFile.encode(plan, graph: graph, weights: weights.filter { names.contains($0.key) }), to: path)
    }

    /// Runs a `.dlp` file on inputs read from `.npy` files; the batch size comes from the inputs.
    /// - Returns: the outputs by name.
    /// - Throws: `DLCError` for a missing or corrupt file, an unknown or missing input, or
    ///   inputs that do not fit the model (naming the input, expected and found).
    public static func run(planPath: String, inputs: [String: String], registry: Registry) throws -> [String: HostTensor] {
        let loaded = try PlanFile.decode(try readBytes(planPath), registry: registry, source: planPath)
        let graph = loaded.graph
        let expected = graph.inputNodes.compactMap { $0.attributes["name"]?.stringValue }
        for name in inputs.keys.sorted() where !expected.contains(name) {
            throw DLCError("'\(planPath)' has no input '\(name)' (inputs: \(expected.joined(separator: ", ")))")
        }
        var feed: [String: HostTensor] = [:]
        var bindings: [String: Int] = [:]
        for node in graph.inputNodes {
            let name = node.attributes["name"]?.stringValue ?? "?"
            guard let path = inputs[name] else {
                throw DLCError("missing input '\(name)': give it with --input \(name)=FILE.npy")
            }
            let type = graph[node.outputs[0]].type
            let tensor = try Npy.read(path).tensor
            guard tensor.shape.count == type.rank else {
                throw DLCError("\(path): input '\(name)' must be \(type), found \(tensor.dtype)\(tensor.shape)")
            }
            for (d, size) in zip(type.shape, tensor.shape) {
                switch d {
                case .known(let k) where k != size:
                    throw DLCError("\(path): input '\(name)' must be \(type), found \(tensor.dtype)\(tensor.shape)")
                case .symbol(let s):
                    if let bound = bindings[s], bound != size {
                        throw DLCError("\(path): dimension \(s) of input '\(name)' is \(size), but another input has \(s) = \(bound)")
                    }
                    bindings[s] = size
                default: break
                }
            }
            feed[name] = tensor.converted(to: type.dtype)
        }
        let plan = bindings == loaded.plan.bindings ? loaded.plan
            : try ExecutionPlan.build(graph, bindings: bindings, registry: registry)
        let executor = try Executor(plan: plan)
        try executor.setState(loaded.weights)
        return try executor.run(inputs: feed)
    }

    /// Writes each output as `DIR/NAME.npy`, atomically.
    public static func writeOutputs(_ outputs: [String: HostTensor], to directory: String) throws -> [String] {
        try AtomicFile.makeDirectory(directory)
        var written: [String] = []
        for (name, tensor) in outputs.sorted(by: { $0.key < $1.key }) {
            let path = (directory.hasSuffix("/") ? directory : directory + "/") + name + ".npy"
            try AtomicFile.write(try Npy.encode(tensor), to: path)
            written.append(path)
        }
        return written
    }

    /// Plan files hold weights: up to 8 GiB (a `.dlg` source only up to `SourceLoader.maxBytes`).
    static let maxPlanBytes = 8 << 30

    static func readBytes(_ path: String) throws -> [UInt8] {
        let f = try SourceLoader.load(path: path, limit: maxPlanBytes)
        return f.bytes
    }
}
