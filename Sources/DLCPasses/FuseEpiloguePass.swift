import DLCCore

/// `fuse-epilogue`: a product or convolution followed by a chain of adds, multiplications by a
/// scalar constant and activations (`Epilogue.activations`) becomes one node, placed at the end
/// of the chain; a product's chain may also multiply by a ReLU's gradient mask
/// `cast(greater(h, 0))` (a `relu_mask` step reading `h`: the backward pass's
/// `dx = (g · Wᵀ) · relu′(h)` becomes one kernel):
/// - a `matmul` of two f32 operands of rank 2 or more (matrices or stacks of them), with bias
///   or residual adds (an operand of the result's shape, or a vector over its last dimension),
///   becomes a `fused_matmul`;
/// - an f32 `convolution`, with a residual add (an operand of the result's shape) as the first
///   step only, and any per-channel adds (an operand of shape [C, 1, 1] or [1, C, 1, 1]),
///   becomes a `fused_convolution` (run as one oneDNN primitive with post-ops). A
///   `conv_transpose` is left alone: oneDNN 2.6 applies a deconvolution's post-ops in a
///   reference loop after the product (a residual add made the transposed convolutions of
///   digits_resnet's backward pass 15 times slower).
/// Every value inside the chain must have no other user and not be an output, loss or update.
/// Run before `fuse-elementwise`.
public struct FuseEpiloguePass: Pass {
    public let name = "fuse-epilogue"

    public init() {}

    /// The ops a chain starts at.
    static let anchors: Set<String> = ["matmul", "convolution"]

    public func run(on graph: Graph, context: PassContext) {
        let registry = context.registry
        // A node's attributes with the defaults of its op filled in.
        func bound(_ n: Node) -> Attributes {
            guard let spec = registry.ops[n.op],
                  let args = try? spec.bind(inputs: n.inputs.map { Tensor(id: $0, type: graph[$0].type) }, attributes: n.attributes)
            else { return n.attributes }
            return args.statics
        }
        let nodes = graph.nodes
        let readers = ValueReaders(graph)

        var replacement: [Int: Node] = [:]
        var removed = Set<Int>()
        for n in nodes where Self.anchors.contains(n.op) && !removed.contains(n.id.index) {
            guard let anchor = Anchor(n, bound(n), graph), registry.ops[anchor.fusedOp] != nil else { continue }
            var operands = anchor.operands
            var steps: [EpilogueStep] = []
            var members = [n.id.index]
            var current = n.outputs[0]
            let result = graph[current].type
            while readers.isPrivate(current) {
                let u = nodes[readers.of(current)[0]]
                // A node joins one chain only (an add of two products goes to the first).
                guard !removed.contains(u.id.index), replacement[u.id.index] == nil, u.outputs.count == 1, graph[u.outputs[0]].type == result,
                      let step = epilogueStep(u, bound(u), applyingTo: current, anchor: anchor, result: result, graph,
                                              position: steps.count, operands: &operands, users: readers.count)
                else { break }
                steps.append(step)
                members.append(u.id.index)
                current = u.outputs[0]
            }
            guard !steps.isEmpty else { continue }
            let last = nodes[members.last!]
            var attrs = anchor.attributes
            attrs["epilogue"] = Epilogue(steps: steps).attribute
            replacement[last.id.index] = Node(id: last.id, op: anchor.fusedOp, inputs: operands, outputs: last.outputs,
                                              attributes: attrs, location: n.location, scope: n.scope, layer: n.layer ?? last.layer)
            removed.formUnion(members.dropLast())
        }
        guard !replacement.isEmpty else { return }
        graph.renumber(keeping: nodes.compactMap { removed.contains($0.id.index) ? nil : replacement[$0.id.index] ?? $0 })
    }

    /// The start of a chain: what it fuses into, its operands and attributes in the fused node.
    struct Anchor {
        enum Kind { case matmul, convolution }
        let kind: Kind
        let fusedOp: String
        let operands: [ValueID]
        let attributes: Attributes

        /// Nil when the fused kernels do not take the node: a matmul of f32 operands of rank 2
        /// or more, a convolution of f32 tensors.
        init?(_ n: Node, _ bound: Attributes, _ graph: Graph) {
            guard n.inputs.count >= 2, n.inputs.allSatisfy({ graph[$0].type.dtype == .f32 }) else { return nil }
            if n.op == "matmul" {
                guard n.inputs.count == 2, graph[n.inputs[0]].type.rank >= 2, graph[n.inputs[1]].type.rank >= 2 else { return nil }
                kind = .matmul
                fusedOp = "fused_matmul"
                attributes = ["transpose_a": .bool(bound["transpose_a"]?.boolValue == true),
                              "transpose_b": .bool(bound["transpose_b"]?.boolValue == true)]
            } else {
                kind = .convolution
                fusedOp = "fused_convolution"
                var attrs = bound
                attrs["bias"] = .bool(n.inputs.count > 2)
                attributes = attrs
            }
            operands = n.inputs
        }

        /// Whether an operand of type `t` may be added to the result `result`, and whether that
        /// add is a residual (full-shape) one.
        func accepts(_ t: TensorType, result: TensorType) -> (ok: Bool, residual: Bool) {
            guard t.dtype == result.dtype else { return (false, false) }
            if t == result { return (true, true) }
            switch kind {
            case .matmul:
                return (t.rank == 1 && t.shape[0] == result.shape.last, false)
            case .convolution:
                // [C, 1, 1] or [1, C, 1, 1]: one value per output channel.
                guard t.rank >= 3, t.rank <= 4 else { return (false, false) }
                let padded = Array(repeating: Dim.known(1), count: 4 - t.rank) + t.shape
                return (padded == [.known(1), result.shape[1], .known(1), .known(1)], false)
            }
        }
    }

    /// `h` when `mask` is `cast(greater(h, 0))` to the result's type, as autodiff writes a
    /// ReLU's gradient mask, with `h` of the result's type and the mask and comparison read
    /// only here (so they die with the fusion).
    func reluMaskSource(_ mask: ValueID, result: TensorType, _ graph: Graph, users: (ValueID) -> Int) -> ValueID? {
        let cast = graph.producer(of: mask)
        guard cast.op == "cast", cast.inputs.count == 1, graph[mask].type == result, users(mask) == 1 else { return nil }
        let greater = graph.producer(of: cast.inputs[0])
        guard greater.op == "greater", greater.inputs.count == 2, users(cast.inputs[0]) == 1,
              graph[greater.inputs[0]].type == result else { return nil }
        let zero = graph.producer(of: greater.inputs[1])
        guard zero.op == "constant", graph[greater.inputs[1]].type.rank == 0, zero.attributes["value"]?.doubleValue == 0 else { return nil }
        return greater.inputs[0]
    }

    /// The epilogue step node `u` (with its bound `attributes`) performs on `value` (the chain so far), or nil if it cannot
    /// join; an added operand is appended to `operands`.
    func epilogueStep(_ u: Node, _ attributes: Attributes, applyingTo value: ValueID, anchor: Anchor, result: TensorType,
                      _ graph: Graph, position: Int, operands: inout [ValueID], users: (ValueID) -> Int) -> EpilogueStep? {
        switch u.op {
        case "add":
            guard u.inputs.count == 2, u.inputs.filter({ $0 == value }).count == 1 else { return nil }
            let other = u.inputs[0] == value ? u.inputs[1] : u.inputs[0]
            let (ok, residual) = anchor.accepts(graph[other].type, result: result)
            guard ok else { return nil }
            // oneDNN adds a residual to a convolution with its `sum` post-op, once, and some of its
            // implementations (gemm-based ones, for plain layouts) only as the first post-op.
            if residual, anchor.kind == .convolution, position > 0 { return nil }
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
            if anchor.kind == .matmul, let h = reluMaskSource(other, result: result, graph, users: users) {
                operands.append(h)
                return .reluMask(operand: operands.count - 1)
            }
            guard p.op == "constant", graph[other].type.rank == 0, let c = p.attributes["value"]?.doubleValue else { return nil }
            return .scale(c)
        default:
            guard Epilogue.activations.contains(u.op), u.inputs == [value] else { return nil }
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
