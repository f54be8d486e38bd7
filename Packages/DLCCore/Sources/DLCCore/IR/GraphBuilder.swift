/// Builds a graph one typed node at a time. The compiler's front end uses it for the ops a
/// `.dlg` file calls; layers use it to create parameters and emit ops. Every op is
/// shape-checked as it is added, so a layer sees the types of what it built.
public final class GraphBuilder {
    public let graph: Graph
    public let registry: Registry
    /// Prefix for parameter names and the scope of new nodes (`stage2.block1`).
    public var scope: String = ""
    /// Where new nodes come from in the source (the call being expanded).
    public var location: SourceRange = .unknown
    /// The layer being expanded, recorded on its nodes.
    public var layer: String?
    private var paramSites: [String: SourceRange] = [:]

    public init(graph: Graph, registry: Registry) {
        self.graph = graph
        self.registry = registry
    }

    /// Runs `body` with `name` appended to the scope.
    public func withScope<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let saved = scope
        scope = qualified(name)
        defer { scope = saved }
        return try body()
    }

    /// `scope.name`, or `name` at top level.
    public func qualified(_ name: String) -> String { scope.isEmpty ? name : scope + "." + name }

    /// Adds a graph input.
    @discardableResult
    public func input(name: String, type: TensorType, location: SourceRange) -> Tensor {
        let node = graph.addNode(op: "input", inputs: [], outputTypes: [type], attributes: ["name": .string(name)],
                                 location: location, scope: scope, names: [name])
        return Tensor(id: node.outputs[0], type: type)
    }

    /// Creates a parameter named `scope.localName`.
    /// - Throws: `DLCError` when a parameter of that name exists, with a note at the first one.
    public func param(_ localName: String, shape: [Dim], dtype: DType = .f32, initializer: Initializer,
                      trainable: Bool = true) throws -> Tensor {
        let name = qualified(localName)
        if let first = paramSites[name] {
            throw DLCError("duplicate parameter name '\(name)'",
                           notes: [.note("'\(name)' was first created here", at: first)])
        }
        if let bad = shape.first(where: { ($0.value ?? 1) <= 0 }) {
            throw DLCError("parameter '\(name)' must have positive dimensions, found \(bad) in \(TensorType(dtype, shape))")
        }
        paramSites[name] = location
        let type = TensorType(dtype, shape)
        var attrs: Attributes = ["name": .string(name), "init": initializer.attribute]
        if !trainable { attrs["trainable"] = .bool(false) }
        let node = graph.addNode(op: "param", inputs: [], outputTypes: [type], attributes: attrs,
                                 location: location, scope: scope, layer: layer, names: [name])
        return Tensor(id: node.outputs[0], type: type)
    }

    /// Convenience for parameters of known shape.
    public func param(_ localName: String, shape: [Int], dtype: DType = .f32, initializer: Initializer,
                      trainable: Bool = true) throws -> Tensor {
        try param(localName, shape: shape.map(Dim.known), dtype: dtype, initializer: initializer, trainable: trainable)
    }

    /// A rank-0 constant.
    public func constant(_ value: Double, dtype: DType = .f32) -> Tensor {
        let v: StaticValue = dtype.isFloat ? .float(value) : (dtype == .bool ? .bool(value != 0) : .int(Int(value)))
        let type = TensorType.scalar(dtype)
        let node = graph.addNode(op: "constant", inputs: [], outputTypes: [type], attributes: ["value": v],
                                 location: location, scope: scope, layer: layer)
        return Tensor(id: node.outputs[0], type: type)
    }

    /// Adds an op given its operands in signature order and its attributes by name
    /// (missing attributes take their defaults).
    /// - Throws: `DLCError` from the shape rule, or for an unknown op or missing operand.
    public func op(_ name: String, _ inputs: [Tensor], _ attributes: Attributes = [:]) throws -> [Tensor] {
        guard let spec = registry.ops[name] else { throw DLCError("unknown op '\(name)'") }
        guard let layer else { return try apply(spec, spec.bind(inputs: inputs, attributes: attributes)) }
        do {
            return try apply(spec, spec.bind(inputs: inputs, attributes: attributes))
        } catch var e as DLCError {
            // Say it in the terms of the layer the user called: its name, its arguments.
            // Operand indices of an op inside a layer mean nothing at the layer's call site.
            let renamed = e.message.replacing("'\(name)'", with: "'\(layer)'")
            e.message = renamed == e.message ? "in '\(layer)': " + e.message : renamed
            e.operands = []
            if let arg = e.argument, registry.layers[layer]?.signature.arg(named: arg) == nil { e.argument = nil }
            throw e
        }
    }

    /// Adds an op with one result.
    public func op1(_ name: String, _ inputs: [Tensor], _ attributes: Attributes = [:]) throws -> Tensor {
        let outs = try op(name, inputs, attributes)
        guard outs.count == 1 else { throw DLCError("op '\(name)' has \(outs.count) results, expected one") }
        return outs[0]
    }

    /// Adds an op whose arguments are already bound: runs its shape rule and appends the node.
    public func apply(_ spec: OpSpec, _ args: Arguments) throws -> [Tensor] {
        let types = try spec.infer(args)
        var inputs: [ValueID] = []
        for a in spec.signature.args where a.kind.isTensor {
            inputs += (args.tensors[a.name] ?? []).map(\.id)
        }
        let node = graph.addNode(op: spec.name, inputs: inputs, outputTypes: types, attributes: args.statics,
                                 location: location, scope: scope, layer: layer)
        return zip(node.outputs, types).map { Tensor(id: $0, type: $1) }
    }

    /// Expands another layer inside this one, under `scope` (layers compose: a residual
    /// block calls `conv2d` as `conv1`). Operands in signature order, other arguments by name.
    /// - Throws: `DLCError` from binding or from the layer.
    public func layer(_ name: String, scope localScope: String, _ inputs: [Tensor], _ arguments: Attributes = [:]) throws -> [Tensor] {
        guard let spec = registry.layers[name] else { throw DLCError("unknown layer '\(name)'") }
        let args = try spec.signature.bind(inputs: inputs, attributes: arguments, callee: "layer '\(name)'")
        let savedScope = scope, savedLayer = layer
        defer {
            scope = savedScope
            layer = savedLayer
        }
        if spec.createsParameters { scope = qualified(localScope) }
        layer = name
        return try spec.expand(self, args)
    }

    /// A layer with one result.
    public func layer1(_ name: String, scope localScope: String, _ inputs: [Tensor], _ arguments: Attributes = [:]) throws -> Tensor {
        let outs = try layer(name, scope: localScope, inputs, arguments)
        guard outs.count == 1 else { throw DLCError("layer '\(name)' has \(outs.count) results, expected one") }
        return outs[0]
    }

    /// The typed handle of a value already in the graph.
    public func tensor(_ id: ValueID) -> Tensor { Tensor(id: id, type: graph[id].type) }
}
