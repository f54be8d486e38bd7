// Lowering a graph to an ExecutionPlan: walk the nodes in their (topological) order, give
// each value a buffer (inputs, parameters and constants in their own regions, views at their
// source's place, everything else in the arena), emit one step per compute node with its
// concrete shapes and strides, then let `MemoryPlanner` place the arena. The per-op rules
// are in the `Lowering+*.swift` extensions.
import DLCCore

extension ExecutionPlan {
    /// Lowers `graph` for concrete values of its symbolic dimensions.
    /// - Parameters:
    ///   - bindings: a size for every symbol used by the graph (`["N": 64]`).
    ///   - registry: the registry the graph was built with; every op must be registered.
    ///   - training: random ops and dropout sample, batch norm uses batch statistics.
    /// - Throws: `DLCError` naming the op for an unbound symbol, an unknown op, or an op or
    ///   element type the CPU back end does not implement.
    public static func build(_ graph: Graph, bindings: [String: Int], registry: Registry,
                             training: Bool = false) throws -> ExecutionPlan {
        var l = Lowerer(graph: graph, bindings: bindings, training: training)
        for node in graph.nodes {
            if !["input", "param", "constant"].contains(node.op), registry.ops[node.op] == nil {
                throw node.fail("the op is not registered")
            }
            if let kernel = registry.kernel(of: node.op, for: .cpu), let spec = registry.ops[node.op] {
                try l.lowerPluginKernel(node, kernel, spec)
            } else {
                try l.lower(node)
            }
        }
        var plan = try l.finish()
        plan.pluginKernels = l.pluginKernels
        return plan
    }
}

/// The state of one lowering.
struct Lowerer {
    let graph: Graph
    let bindings: [String: Int]
    let training: Bool
    var buffers: [PlanBuffer] = []
    var bufferOf: [Int: Int] = [:]
    var steps: [PlanStep] = []
    var inputs: [PlanPort] = []
    var state: [StateSlot] = []
    var constants: [(buffer: Int, value: Double)] = []
    var regionTop: [BufferRegion: Int] = [:]
    var pluginKernels: [Int: PluginKernelStep] = [:]

    init(graph: Graph, bindings: [String: Int], training: Bool) {
        self.graph = graph
        self.bindings = bindings
        self.training = training
    }

    /// The concrete shape of a value.
    func shape(_ v: ValueID) throws -> [Int] {
        try graph[v].type.shape.map { d in
            switch d {
            case .known(let n): return n
            case .symbol(let s):
                guard let n = bindings[s] else {
                    let where_ = graph[v].name.map { "'\($0)'" } ?? "\(v)"
                    throw DLCError("cannot build an execution plan of '\(graph.name)': dimension '\(s)' of \(where_) (\(graph[v].type)) is not bound; pass bindings: [\"\(s)\": size]")
                }
                guard n > 0 else { throw DLCError("cannot build an execution plan of '\(graph.name)': dimension '\(s)' is bound to \(n); sizes must be positive") }
                return n
            }
        }
    }

    func dtype(_ v: ValueID) -> DType { graph[v].type.dtype }

    /// The buffer of a value that was already lowered.
    func buf(_ v: ValueID) -> Int { bufferOf[v.index]! }

    /// A new buffer for `v` in `region` (non-arena regions are laid out in order here).
    mutating func newBuffer(_ v: ValueID, region: BufferRegion = .arena) throws -> Int {
        let shp = try shape(v)
        var b = PlanBuffer(name: graph[v].name ?? "\(v)", dtype: dtype(v), shape: shp, region: region, offset: 0)
        if region != .arena {
            b.offset = regionTop[region] ?? 0
            regionTop[region] = b.offset + alignUp(max(b.bytes, 1))
        }
        buffers.append(b)
        bufferOf[v.index] = buffers.count - 1
        return buffers.count - 1
    }

    /// Makes `v` a view of `source`'s bytes (same element count, new shape).
    mutating func view(_ v: ValueID, of source: ValueID) throws {
        let src = buf(source)
        let b = PlanBuffer(name: graph[v].name ?? "\(v)", dtype: dtype(v), shape: try shape(v), region: buffers[src].region,
                           offset: buffers[src].offset, viewOf: src)
        buffers.append(b)
        bufferOf[v.index] = buffers.count - 1
    }

    /// Appends a step whose outputs are new arena buffers for the node's outputs.
    mutating func emit(_ kernel: KernelKind, _ node: Node, inputs: [ValueID]? = nil, ints: [Int], floats: [Double] = []) throws {
        var outs: [Int] = []
        for o in node.outputs { outs.append(try newBuffer(o)) }
        steps.append(PlanStep(kernel: kernel, op: node.op, node: node.id.index, inputs: (inputs ?? node.inputs).map(buf),
                              outputs: outs, ints: ints, floats: floats))
    }

    /// A node whose op has a plugin-supplied CPU kernel: one `custom` step (ints: nothing;
    /// the shapes and types are the buffers').
    mutating func lowerPluginKernel(_ node: Node, _ kernel: @escaping HostKernel, _ spec: OpSpec) throws {
        let args = try spec.bind(inputs: node.inputs.map { Tensor(id: $0, type: graph[$0].type) }, attributes: node.attributes)
        pluginKernels[node.id.index] = PluginKernelStep(kernel: kernel, attributes: args.statics)
        try emit(.custom, node, ints: [])
    }

    mutating func lower(_ node: Node) throws {
        switch node.op {
        case "input":
            let b = try newBuffer(node.outputs[0], region: .input)
            let name = node.attributes["name"]?.stringValue ?? graph[node.outputs[0]].name ?? "input\(inputs.count)"
            inputs.append(PlanPort(name: name, buffer: b))
        case "param":
            let b = try newBuffer(node.outputs[0], region: .state)
            let name = node.attributes["name"]?.stringValue ?? graph[node.outputs[0]].name ?? "param\(state.count)"
            state.append(StateSlot(name: name, buffer: b, trainable: node.attributes["trainable"] != .bool(false),
                                   initializer: node.attributes["init"]?.description ?? ""))
        case "constant":
            let b = try newBuffer(node.outputs[0], region: .constant)
            let v = node.attributes["value"]
            constants.append((b, v?.doubleValue ?? (v?.boolValue == true ? 1 : 0)))
        default:
            try lowerCompute(node)
        }
    }

    mutating func finish() throws -> ExecutionPlan {
        func port(_ nv: NamedValue) -> PlanPort { PlanPort(name: nv.name, buffer: buf(nv.value)) }
        var updates: [StateUpdate] = []
        for u in graph.updates {
            guard let slot = state.firstIndex(where: { $0.name == u.name }) else {
                throw DLCError("cannot build an execution plan of '\(graph.name)': the update '\(u.name)' names no parameter")
            }
            let src = buf(u.value)
            guard buffers[src].shape == buffers[state[slot].buffer].shape, buffers[src].dtype == buffers[state[slot].buffer].dtype else {
                throw DLCError("cannot build an execution plan of '\(graph.name)': the update of '\(u.name)' has type \(buffers[src].dtype)\(buffers[src].shape), the parameter \(buffers[state[slot].buffer].dtype)\(buffers[state[slot].buffer].shape)")
            }
            updates.append(StateUpdate(slot: slot, source: src))
        }
        let outputs = graph.outputs.map(port), losses = graph.losses.map(port)
        placeUpdatesInState(updates, ports: outputs.map(\.buffer) + losses.map(\.buffer))
        let keep = Set(outputs.map(\.buffer) + losses.map(\.buffer) + updates.map(\.source))
        let persistent = training || !updates.isEmpty ? [] : markStateDerived(ports: keep)
        settleLayouts(pinned: keep)
        let (arena, naive) = MemoryPlanner.plan(buffers: &buffers, steps: &steps, keepAlive: keep, persistent: persistent)
        var regions = regionTop
        regions[.arena] = arena
        return ExecutionPlan(name: graph.name, bindings: bindings, training: training, buffers: buffers, inputs: inputs,
                             outputs: outputs, losses: losses, state: state, updates: updates, constants: constants,
                             steps: steps, regionBytes: regions, naiveBytes: naive)
    }
}
