// The reference interpreter: runs a graph node by node with the reference kernels.
import DLCCore

/// Runs graphs naively and exactly: the numerical oracle for gradient checks and back ends.
public struct ReferenceInterpreter {
    public let kernels: ReferenceKernels
    public let registry: Registry

    /// - Parameters:
    ///   - kernels: op name → kernel (`.standard` has every built-in op).
    ///   - registry: the registry the graph was compiled with (for op signatures).
    public init(kernels: ReferenceKernels = .standard, registry: Registry) {
        self.kernels = kernels
        self.registry = registry
    }

    /// Runs a graph. Symbolic dimensions are bound from the inputs' shapes (error on conflict).
    /// Missing parameters are an error unless `initializeMissing` (then drawn with `ParameterInitializer`).
    /// - Parameters:
    ///   - inputs: a tensor for every `input` node, by name, of exactly its dtype and shape.
    ///   - parameters: tensors for `param` nodes, by name.
    ///   - seed: seeds random ops and dropout; node `i` draws from
    ///     `RandomSource(seed: mixSeed(seed, i))`, so a run is reproducible.
    ///   - training: dropout samples and batch_norm uses batch statistics when true.
    ///   - initializeMissing: draw parameters that are not given with `ParameterInitializer` (seeded by `seed`).
    /// - Throws: `DLCError` naming the missing or mismatched input or parameter, or the op that failed.
    public func run(_ graph: Graph, inputs: [String: HostTensor], parameters: [String: HostTensor],
                    seed: UInt64 = 0, training: Bool = true, initializeMissing: Bool = false) throws -> ReferenceResult {
        var bindings: [String: Int] = [:]
        var values: [ValueID: HostTensor] = [:]
        var initialized: [String: HostTensor]?

        func bind(_ t: HostTensor, to type: TensorType, what: String) throws {
            guard t.dtype == type.dtype, t.rank == type.rank else {
                throw DLCError("\(what) must be \(type), found \(t.dtype)\(t.shape)")
            }
            for (i, d) in type.shape.enumerated() {
                switch d {
                case .known(let n):
                    guard t.shape[i] == n else {
                        throw DLCError("\(what) must be \(type), found \(t.dtype)\(t.shape): dimension \(i) is \(t.shape[i]), expected \(n)")
                    }
                case .symbol(let s):
                    if let bound = bindings[s], bound != t.shape[i] {
                        throw DLCError("\(what) must be \(type), found \(t.dtype)\(t.shape): dimension \(i) is \(t.shape[i]) but \(s) is already \(bound)")
                    }
                    bindings[s] = t.shape[i]
                }
            }
        }

        func concrete(_ type: TensorType, _ what: String) throws -> [Int] {
            try type.shape.map { d in
                switch d {
                case .known(let n): return n
                case .symbol(let s):
                    guard let n = bindings[s] else { throw DLCError("\(what): the dimension \(s) of \(type) is not bound by any input") }
                    return n
                }
            }
        }

        // Bind every symbol from the inputs first, so that the order of nodes does not matter.
        for node in graph.inputNodes {
            guard let name = node.attributes["name"]?.stringValue else { throw DLCError("an input node has no name") }
            guard let t = inputs[name] else {
                let known = graph.inputNodes.compactMap { $0.attributes["name"]?.stringValue }.joined(separator: ", ")
                throw DLCError("missing input '\(name)' of model '\(graph.name)' (inputs: \(known))")
            }
            try bind(t, to: graph[node.outputs[0]].type, what: "input '\(name)'")
        }

        for node in graph.nodes {
            switch node.op {
            case "input":
                values[node.outputs[0]] = inputs[node.attributes["name"]!.stringValue!]!
            case "param":
                guard let name = node.attributes["name"]?.stringValue else { throw DLCError("a param node has no name") }
                var t = parameters[name]
                if t == nil, initializeMissing {
                    if initialized == nil { initialized = ParameterInitializer.initialize(graph, seed: seed) }
                    t = initialized?[name]
                }
                guard let t else { throw DLCError("missing parameter '\(name)' of model '\(graph.name)'") }
                try bind(t, to: graph[node.outputs[0]].type, what: "parameter '\(name)'")
                values[node.outputs[0]] = t
            case "constant":
                let type = graph[node.outputs[0]].type
                values[node.outputs[0]] = try constantTensor(node.attributes["value"], shape: try concrete(type, "constant"), dtype: type.dtype)
            default:
                let where_ = node.scope.isEmpty ? "" : " in '\(node.scope)'"
                guard let spec = registry.ops[node.op] else { throw DLCError("unknown op '\(node.op)'\(where_): not in the registry") }
                guard let kernel = kernels.kernel(for: node.op)
                    ?? registry.kernel(of: node.op, for: .reference).map(ReferenceKernels.adapting) else {
                    throw DLCError("op '\(node.op)'\(where_) has no reference kernel")
                }
                let ins = node.inputs.map { values[$0]! }
                let tensors = zip(node.inputs, ins).map { Tensor(id: $0, type: $1.type) }
                let args = try spec.bind(inputs: tensors, attributes: node.attributes)
                let outTypes = node.outputs.map { graph[$0].type }
                let shapes = try outTypes.map { try concrete($0, "op '\(node.op)'\(where_)") }
                let ctx = ReferenceKernelContext(inputs: ins, arguments: args, outputShapes: shapes,
                                                 outputTypes: outTypes.map(\.dtype),
                                                 rng: RandomSource(seed: mixSeed(seed, UInt64(node.id.index))),
                                                 training: training)
                let results: [HostTensor]
                do {
                    results = try kernel(ctx)
                } catch let e as DLCError {
                    throw DLCError("op '\(node.op)'\(where_) failed: \(e.message)")
                }
                guard results.count == node.outputs.count else {
                    throw DLCError("the reference kernel of '\(node.op)' returned \(results.count) results, expected \(node.outputs.count)")
                }
                for (i, r) in results.enumerated() {
                    guard r.shape == shapes[i], r.dtype == outTypes[i].dtype else {
                        throw DLCError("the reference kernel of '\(node.op)'\(where_) returned \(r.dtype)\(r.shape) for result \(i), expected \(outTypes[i].dtype)\(shapes[i])")
                    }
                    values[node.outputs[i]] = r
                }
            }
        }
        var result = ReferenceResult(values: values)
        for o in graph.outputs { result.outputs[o.name] = values[o.value] }
        for l in graph.losses { result.losses[l.name] = values[l.value] }
        for u in graph.updates { result.updates[u.name] = values[u.value] }
        return result
    }
}

/// The tensor of a `constant` node: a scalar broadcast to the shape, or a (nested) list.
func constantTensor(_ v: StaticValue?, shape: [Int], dtype: DType) throws -> HostTensor {
    func flatten(_ v: StaticValue) throws -> [Double] {
        switch v {
        case .int(let i): return [Double(i)]
        case .float(let d): return [d]
        case .bool(let b): return [b ? 1 : 0]
        case .list(let xs): return try xs.flatMap(flatten)
        default: throw DLCError("a constant must hold numbers, found \(v)")
        }
    }
    guard let v else { throw DLCError("a constant node has no value") }
    var xs = try flatten(v)
    let n = shape.reduce(1, *)
    if xs.count == 1 { xs = Array(repeating: xs[0], count: n) }
    guard xs.count == n else { throw DLCError("a constant of shape \(shape) holds \(xs.count) values") }
    if case .int(let i) = v, dtype == .i64 { return HostTensor(shape: shape, storage: .i64(Array(repeating: Int64(i), count: n))) }
    return HostTensor.from(xs, shape: shape, dtype: dtype)
}
