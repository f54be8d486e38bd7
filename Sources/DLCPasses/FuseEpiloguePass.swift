import DLCCore

/// The `fused_matmul` op: a matrix product followed by its epilogue (bias or residual adds,
/// scaling, one or more activations), one kernel (the product, then the epilogue over each
/// row of it while it is in cache). Operands
/// `a` [..., M, K] and `b` [..., K, N] (before their transposes) of rank 2 or more; the batch
/// dimensions broadcast as in `matmul`. Not differentiable (fusion runs after autodiff).
public let fusedMatMulOp = OpSpec(
    "fused_matmul", family: .matmul,
    signature: Signature([ArgSpec("xs", .tensors, doc: "a, b, then the operands the epilogue adds"),
                          ArgSpec("transpose_a", .bool, default: .bool(false), doc: "use the transpose of a's last two dimensions"),
                          ArgSpec("transpose_b", .bool, default: .bool(false), doc: "use the transpose of b's last two dimensions"),
                          ArgSpec("epilogue", .value, doc: "the steps after the product (see MatMulEpilogue)")]),
    summary: "A matmul with its bias, residual, scaling and activation epilogue in one kernel (made by the fuse-epilogue pass).",
    differentiable: false,
    flops: { args, outs in
        let xs = args.tensorList("xs")
        guard xs.count >= 2, let out = outs.first else { return 0 }
        let a = xs[0].type, ta = (try? args.bool("transpose_a")) ?? false
        let k = a.rank < 2 ? Dim.known(1) : a.shape[a.rank - (ta ? 2 : 1)]
        return 2 &* out.elementCount() &* (k.value ?? 1) &+ out.elementCount() &* (args.statics["epilogue"]?.listValue?.count ?? 0)
    },
    infer: { args in
        let xs = args.tensorList("xs")
        guard xs.count >= 2 else { throw DLCError("fused_matmul needs the operands a and b") }
        let a = xs[0].type, b = xs[1].type
        let ta = try args.bool("transpose_a"), tb = try args.bool("transpose_b")
        guard a.rank >= 2, b.rank >= 2, a.dtype == b.dtype, a.dtype.isFloat else {
            throw DLCError("fused_matmul needs float operands of rank 2 or more of one element type, found \(a) and \(b)")
        }
        let m = a.shape[a.rank - (ta ? 1 : 2)], k = a.shape[a.rank - (ta ? 2 : 1)]
        let kb = b.shape[b.rank - (tb ? 1 : 2)], n = b.shape[b.rank - (tb ? 2 : 1)]
        guard k == kb else { throw DLCError("fused_matmul: inner dimensions \(k) and \(kb) differ") }
        let batch = try Shapes.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) { i, x, y in
            DLCError("fused_matmul: batch dimensions \(x) and \(y) do not broadcast (at \(i))")
        }
        let result = TensorType(a.dtype, batch + [m, n])
        let epilogue = try MatMulEpilogue(attribute: args.statics["epilogue"], operands: xs.count)
        for case .add(let i) in epilogue.steps {
            let t = xs[i].type
            guard t.dtype == a.dtype else { throw DLCError("fused_matmul: the added operand \(i) is \(t), not \(a.dtype)") }
            _ = try Shapes.broadcast(t.shape, result.shape) { j, x, y in
                DLCError("fused_matmul: the added operand \(t) does not broadcast to \(result) (\(x) against \(y) at \(j))")
            }
        }
        return [result]
    })

/// `fuse-epilogue`: a `matmul` of two f32 operands of rank 2 or more (matrices or stacks of
/// them) followed by a chain of bias or residual adds
/// (an operand of the result's shape, or a vector over its last dimension), multiplications
/// by a scalar constant and activations (`MatMulEpilogue.activations`) becomes one
/// `fused_matmul` node, placed at the end of the chain. Every value inside the chain must have
/// no other user and not be an output, loss or update. Run before `fuse-elementwise`.
public struct FuseEpiloguePass: Pass {
    public let name = "fuse-epilogue"

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        let registry = context.registry
        guard registry.ops["fused_matmul"] != nil else { return }
        // A node's attributes with the defaults of its op filled in.
        func bound(_ n: Node) -> Attributes {
            guard let spec = registry.ops[n.op],
                  let args = try? spec.bind(inputs: n.inputs.map { Tensor(id: $0, type: graph[$0].type) }, attributes: n.attributes)
            else { return n.attributes }
            return args.statics
        }
        let nodes = graph.nodes
        var users = [[Int]](repeating: [], count: graph.values.count)
        for n in nodes { for v in n.inputs { users[v.index].append(n.id.index) } }
        let escapes = Set<ValueID>((graph.outputs + graph.losses + graph.updates).map(\.value))

        var replacement: [Int: Node] = [:]
        var removed = Set<Int>()
        for n in nodes where n.op == "matmul" && !removed.contains(n.id.index) {
            let matmulAttrs = bound(n)
            let ta = matmulAttrs["transpose_a"]?.boolValue == true, tb = matmulAttrs["transpose_b"]?.boolValue == true
            guard let (a, b) = supportedOperands(n, graph) else { continue }
            var operands = [a, b]
            var steps: [EpilogueStep] = []
            var members = [n.id.index]
            var current = n.outputs[0]
            let result = graph[current].type
            while !escapes.contains(current), users[current.index].count == 1 {
                let u = nodes[users[current.index][0]]
                // A node joins one chain only (an add of two products goes to the first).
                guard !removed.contains(u.id.index), replacement[u.id.index] == nil, u.outputs.count == 1, graph[u.outputs[0]].type == result,
                      let step = epilogueStep(u, bound(u), applyingTo: current, result: result, graph, operands: &operands,
                                             users: { users[$0.index].count }) else { break }
                steps.append(step)
                members.append(u.id.index)
                current = u.outputs[0]
            }
            guard !steps.isEmpty else { continue }
            let last = nodes[members.last!]
            var attrs: Attributes = ["transpose_a": .bool(ta), "transpose_b": .bool(tb)]
            attrs["epilogue"] = MatMulEpilogue(steps: steps).attribute
            replacement[last.id.index] = Node(id: last.id, op: "fused_matmul", inputs: operands, outputs: last.outputs,
                                              attributes: attrs, location: n.location, scope: n.scope, layer: n.layer ?? last.layer)
            removed.formUnion(members.dropLast())
        }
        guard !replacement.isEmpty else { return }
        graph.renumber(keeping: nodes.compactMap { removed.contains($0.id.index) ? nil : replacement[$0.id.index] ?? $0 })
    }

    /// The operands of a matmul the fused kernel takes: f32 and of rank 2 or more.
    func supportedOperands(_ n: Node, _ graph: Graph) -> (ValueID, ValueID)? {
        guard n.inputs.count == 2 else { return nil }
        let a = graph[n.inputs[0]].type, b = graph[n.inputs[1]].type
        guard a.dtype == .f32, b.dtype == .f32, a.rank >= 2, b.rank >= 2 else { return nil }
        return (n.inputs[0], n.inputs[1])
    }

    /// The epilogue step node `u` (with its bound `attributes`) performs on `value` (the chain so far), or nil if it cannot
    /// join; an added operand is appended to `operands`.
    func epilogueStep(_ u: Node, _ attributes: Attributes, applyingTo value: ValueID, result: TensorType, _ graph: Graph,
                      operands: inout [ValueID], users: (ValueID) -> Int) -> EpilogueStep? {
        switch u.op {
        case "add":
            guard u.inputs.count == 2, u.inputs.filter({ $0 == value }).count == 1 else { return nil }
            let other = u.inputs[0] == value ? u.inputs[1] : u.inputs[0]
            let t = graph[other].type
            let isBias = t.rank == 1 && t.shape[0] == result.shape.last
            guard t.dtype == result.dtype, t == result || isBias else { return nil }
            // An elementwise op feeding only this add belongs in an elementwise group with it
            // (e.g. the momentum update μ·b + g): fusing the add here would split that group.
            let p = graph.producer(of: other)
            if fusibleElementwiseOps.contains(p.op), users(other) == 1 { return nil }
            operands.append(other)
            return .add(operand: operands.count - 1)
        case "mul":
            guard u.inputs.count == 2, u.inputs.filter({ $0 == value }).count == 1 else { return nil }
            let other = u.inputs[0] == value ? u.inputs[1] : u.inputs[0]
            let p = graph.producer(of: other)
            guard p.op == "constant", graph[other].type.rank == 0, let c = p.attributes["value"]?.doubleValue else { return nil }
            return .scale(c)
        default:
            guard MatMulEpilogue.activations.contains(u.op), u.inputs == [value] else { return nil }
            switch u.op {
            case "leaky_relu", "elu":
                guard let alpha = attributes["alpha"]?.doubleValue else { return nil }
                return .activation(u.op, alpha: alpha)
            case "gelu":
                return .activation(u.op, alpha: attributes["approximate"]?.boolValue == true ? 1 : 0)
            default:
                return .activation(u.op, alpha: 0)
            }
        }
    }
}
