import DLCCore

/// The ops `fuse-elementwise` may put into a group (all elementwise, one result each).
public let fusibleElementwiseOps: Set<String> = [
    "neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "gelu",
    "softplus", "sign", "floor", "ceil", "round", "logical_not", "leaky_relu", "elu", "clip",
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "logical_and", "logical_or",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "where", "cast",
]

/// The `fused_elementwise` op: a group of elementwise ops evaluated per result element.
/// Not differentiable (fusion runs after autodiff).
public let fusedElementwiseOp = OpSpec(
    "fused_elementwise", family: .elementwise,
    signature: Signature([ArgSpec("xs", .tensors),
                          ArgSpec("program", .value, doc: "the instructions (see FusedProgram)"),
                          ArgSpec("results", .value, doc: "the instructions whose values are the results"),
                          ArgSpec("dtype", .dtype, doc: "the element type of operands and results"),
                          ArgSpec("shape", .value, doc: "the shape of every result")]),
    summary: "A group of elementwise ops fused into one kernel (made by the fuse-elementwise pass).",
    differentiable: false,
    flops: { args, outs in
        let n = outs.first?.elementCount() ?? 0
        return n * (args.statics["program"]?.listValue?.count ?? 1)
    },
    infer: { args in
        guard case .dtype(let dtype)? = args.statics["dtype"] else { throw DLCError("fused_elementwise needs a dtype") }
        guard let dims = args.statics["shape"]?.listValue else { throw DLCError("fused_elementwise needs a shape") }
        let shape: [Dim] = try dims.map {
            if let n = $0.intValue { return .known(n) }
            if let s = $0.stringValue { return .symbol(s) }
            throw DLCError("fused_elementwise: bad dimension \($0)")
        }
        let program = try FusedProgram(attributes: args.statics)
        for x in args.tensorList("xs") {
            _ = try Shapes.broadcast(x.shape, shape) { i, a, b in
                DLCError("fused_elementwise: operand \(x.type) does not broadcast to \(TensorType(dtype, shape)) (\(a) against \(b) at \(i))")
            }
        }
        return program.results.map { _ in TensorType(dtype, shape) }
    })

/// `fuse-elementwise`: groups chains and trees of elementwise ops of one float element type
/// (bool values may flow inside a group) into `fused_elementwise` nodes. A group's results are
/// its values used outside it (all of one shape); scalar constants are inlined; groups never
/// create a cycle. Groups of one op are left alone. Run `dce` after it.
public struct FuseElementwisePass: Pass {
    public let name = "fuse-elementwise"
    /// The most operands of a fused node.
    public var maxInputs = 16
    /// The most nodes of the graph a group may span (last member − first). Ops fuse with
    /// their neighbours; a bound keeps each merge's cycle check local, so long unrolled
    /// graphs (an LSTM over hundreds of steps) fuse in linear time instead of quadratic.
    public var maxSpan = 512

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        let registry = context.registry
        guard registry.ops["fused_elementwise"] != nil else { return }
        let nodes = graph.nodes
        var users = [[Int]](repeating: [], count: graph.values.count)
        for n in nodes { for v in n.inputs where !users[v.index].contains(n.id.index) { users[v.index].append(n.id.index) } }
        var escapes = Set<ValueID>((graph.outputs + graph.losses + graph.updates).map(\.value))

        // The float element type of a candidate node, or nil if it cannot be fused.
        func groupType(_ n: Node) -> DType? {
            guard fusibleElementwiseOps.contains(n.op), n.outputs.count == 1 else { return nil }
            var d: DType?
            for v in n.inputs + n.outputs {
                let t = graph[v].type.dtype
                if t == .bool { continue }
                guard t.isFloat, d == nil || d == t else { return nil }
                d = t
            }
            return d
        }
        // The element type of each value that is a scalar constant with a number or bool value
        // (inlined into a group of its type), found once: groups are checked many times.
        var scalarConstant = [DType?](repeating: nil, count: graph.values.count)
        for n in nodes where n.op == "constant" {
            let v = n.outputs[0]
            if graph[v].type.rank == 0, n.attributes["value"].map({ $0.doubleValue != nil || $0.boolValue != nil }) == true {
                scalarConstant[v.index] = graph[v].type.dtype
            }
        }
        func isInlinedConstant(_ v: ValueID, _ d: DType) -> Bool {
            guard let t = scalarConstant[v.index] else { return false }
            return t == d || t == .bool
        }
        var dtypeOf: [Int: DType] = [:]
        for n in nodes { if let d = groupType(n) { dtypeOf[n.id.index] = d } }

        // Flat per-value and per-node facts, so that checking a group (done for every merge)
        // neither copies nodes and values nor hashes sets.
        let valueCount = graph.values.count
        var producerIndex = [Int](repeating: -1, count: valueCount)
        var valueDType = [DType](repeating: .f32, count: valueCount)
        var shapeID = [Int](repeating: 0, count: valueCount)
        var shapeIDs: [[Dim]: Int] = [:]
        for (k, v) in graph.values.enumerated() {
            producerIndex[k] = v.producer.index
            valueDType[k] = v.type.dtype
            shapeID[k] = shapeIDs[v.type.shape, default: shapeIDs.count]
            if shapeIDs[v.type.shape] == nil { shapeIDs[v.type.shape] = shapeID[k] }
        }
        var escaping = [Bool](repeating: false, count: valueCount)
        for v in escapes { escaping[v.index] = true }
        let nodeInputs = nodes.map { $0.inputs.map(\.index) }
        let nodeOutputs = nodes.map { $0.outputs.map(\.index) }
        // Membership and visits marked with a stamp per check instead of sets.
        var memberStamp = [Int](repeating: 0, count: nodes.count)
        var seenStamp = [Int](repeating: 0, count: nodes.count)
        var stamp = 0
        var externals: [Int] = []
        var stack: [Int] = []

        // Checks a candidate group (node indices).
        // Not strict: bool values may still cross the boundary (a group waiting for its bool producer or consumer).
        func valid(_ members: Set<Int>, strict: Bool = true) -> Bool {
            guard let first = members.first, let d = dtypeOf[first] else { return false }
            var low = first, top = first
            for i in members { low = min(low, i); top = max(top, i) }
            guard members.count == 1 || top - low <= maxSpan else { return false }
            stamp += 1
            for i in members { memberStamp[i] = stamp }
            externals.removeAll(keepingCapacity: true)
            var resultShape = -1
            for i in members {
                guard dtypeOf[i] == d else { return false }
                for v in nodeInputs[i] where memberStamp[producerIndex[v]] != stamp {
                    if isInlinedConstant(ValueID(v), d) { continue }
                    guard valueDType[v] == d || (!strict && valueDType[v] == .bool) else { return false }
                    if !externals.contains(v) {
                        externals.append(v)
                        if externals.count > maxInputs { return false }
                    }
                }
                let v = nodeOutputs[i][0]
                if escaping[v] || users[v].contains(where: { memberStamp[$0] != stamp }) {
                    if valueDType[v] != d {
                        if strict { return false }
                        continue
                    }
                    if resultShape >= 0, resultShape != shapeID[v] { return false }
                    resultShape = shapeID[v]
                }
            }
            guard resultShape >= 0 || !strict else { return false }
            // No path leaves the group and comes back.
            stack.removeAll(keepingCapacity: true)
            for i in members { for u in users[nodeOutputs[i][0]] where memberStamp[u] != stamp { stack.append(u) } }
            while let u = stack.popLast() {
                if u > top || seenStamp[u] == stamp { continue }
                seenStamp[u] = stamp
                for o in nodeOutputs[u] {
                    for w in users[o] {
                        if memberStamp[w] == stamp { return false }
                        stack.append(w)
                    }
                }
            }
            return true
        }

        // Greedy: each node joins the groups of its operands' producers while the result is valid.
        var groupOf: [Int: Int] = [:]
        var groups: [Int: Set<Int>] = [:]
        var nextGroup = 0
        for n in nodes {
            let i = n.id.index
            guard dtypeOf[i] != nil, valid([i], strict: false) else { continue }
            var g = nextGroup
            nextGroup += 1
            groups[g] = [i]
            groupOf[i] = g
            for v in n.inputs {
                let p = graph[v].producer.index
                guard let pg = groupOf[p], pg != g else { continue }
                let merged = groups[pg]!.union(groups[g]!)
                guard valid(merged) || (valid(merged, strict: false) && !valid(groups[pg]!) && !valid(groups[g]!)) else { continue }
                for m in groups[g]! { groupOf[m] = pg }
                groups[g] = nil
                groups[pg] = merged
                g = pg
            }
        }
        let fused = groups.values.filter { $0.count >= 2 && valid($0) }.sorted { $0.max()! < $1.max()! }
        guard !fused.isEmpty else { return }

        // Build one node per group, placed at its last member.
        var replacement: [Int: Node] = [:]
        var removed = Set<Int>()
        for members in fused {
            let order = members.sorted()
            let d = dtypeOf[order[0]]!
            var inputs: [ValueID] = []
            var temp: [ValueID: Int] = [:]
            var instructions: [FusedInstruction] = []
            var results: [Int] = []
            var outputs: [ValueID] = []
            for i in order {
                let n = nodes[i]
                let operands: [FusedOperand] = n.inputs.map { v in
                    if let t = temp[v] { return .temp(t) }
                    if isInlinedConstant(v, d) {
                        let c = graph.producer(of: v).attributes["value"]!
                        return .constant(c.doubleValue ?? (c.boolValue == true ? 1 : 0))
                    }
                    if let k = inputs.firstIndex(of: v) { return .input(k) }
                    inputs.append(v)
                    return .input(inputs.count - 1)
                }
                var attrs: Attributes = n.attributes
                if let spec = registry.ops[n.op],
                   let bound = try? spec.bind(inputs: n.inputs.map { Tensor(id: $0, type: graph[$0].type) }, attributes: n.attributes) {
                    attrs = bound.statics
                }
                let v = n.outputs[0]
                temp[v] = instructions.count
                instructions.append(FusedInstruction(op: n.op, dtype: graph[v].type.dtype, operands: operands, attributes: attrs))
                if escapes.contains(v) || users[v.index].contains(where: { !members.contains($0) }) {
                    results.append(instructions.count - 1)
                    outputs.append(v)
                }
            }
            let last = nodes[order.last!]
            var attrs = FusedProgram(instructions: instructions, results: results).attributes
            attrs["dtype"] = .dtype(d)
            attrs["shape"] = .list(graph[outputs[0]].type.shape.map {
                switch $0 { case .known(let n): .int(n); case .symbol(let s): .string(s) }
            })
            replacement[last.id.index] = Node(id: last.id, op: "fused_elementwise", inputs: inputs, outputs: outputs,
                                              attributes: attrs, location: last.location, scope: last.scope, layer: last.layer)
            for i in order where i != last.id.index { removed.insert(i) }
        }

        // A stable topological order (a result of a group may be used before the group's last member).
        var producerOf: [ValueID: Int] = [:]
        var list: [Node] = []
        for n in nodes where !removed.contains(n.id.index) {
            let m = replacement[n.id.index] ?? n
            for o in m.outputs { producerOf[o] = list.count }
            list.append(m)
        }
        var emitted = [Bool](repeating: false, count: list.count)
        var ordered: [Int] = []
        func visit(_ k: Int) {
            var stack: [(Int, Bool)] = [(k, false)]
            while let (j, expanded) = stack.popLast() {
                if emitted[j] { continue }
                if expanded { emitted[j] = true; ordered.append(j); continue }
                stack.append((j, true))
                for v in list[j].inputs.reversed() { if let p = producerOf[v], !emitted[p] { stack.append((p, false)) } }
            }
        }
        for k in list.indices { visit(k) }

        graph.renumber(keeping: ordered.map { list[$0] })
        escapes.removeAll()
    }
}
