import DLCCore

/// `fold-batch-norm` (inference only): a `batch_norm` whose input is computed by a
/// `convolution`, or by a dense layer's `matmul` (with or without its bias `add`), becomes
/// that convolution or matmul with scaled weights and a shifted bias:
///
///     s = γ / √(σ² + ε),   W' = W · s (per output channel),   b' = (b − μ) · s + β
///
/// (b = 0 when there is no bias; a matmul without one gets an `add` of b'). W' and b' are
/// ordinary graph ops on the parameters, placed with the folded node where the batch norm
/// was; the lowering marks their steps state-derived, so an executor computes them once per
/// set of weights. Folded only when
/// - the convolution's or matmul's result (and the bias add's) has no other user and is not
///   an output, loss or update;
/// - the weights, the bias and the four batch-norm tensors depend on parameters and
///   constants only (no input, nothing random);
/// - for a convolution: any groups (its weight is [Cout, Cin/groups, kh, kw], so dimension 0
///   is the output channel either way); transposed convolutions are left alone;
/// - for a matmul: a rank-2 product [N, C] with a rank-2 weight (its second operand,
///   [C, K] with `transpose_b`, else [K, C]).
///
/// Never part of a training pipeline: there batch norm uses the batch's statistics.
public struct FoldBatchNormPass: Pass {
    public let name = "fold-batch-norm"

    public init() {}

    /// One fold: the nodes to place where the batch norm was, in order.
    private struct Fold {
        var nodes: [Int]
        var moved: Set<Int>
        var result: ValueID
    }

    public func run(on graph: Graph, context: PassContext) {
        let registry = context.registry
        let original = graph.nodes
        let readers = ValueReaders(graph)
        let fixed = parameterOnly(graph, registry)

        var folds: [Int: Fold] = [:]
        var replacements = ValueReplacements()
        for bn in original where bn.op == "batch_norm" && bn.inputs.count == 5 && bn.outputs.count == 1 {
            let x = bn.inputs[0]
            guard readers.isPrivate(x), bn.inputs[1...].allSatisfy({ fixed[$0.index] }),
                  let target = foldTarget(of: x, graph, fixed: fixed, isPrivate: readers.isPrivate, registry) else { continue }
            let start = graph.nodes.count
            let b = GraphBuilder(graph: graph, registry: registry)
            b.scope = bn.scope
            b.location = bn.location
            b.layer = bn.layer
            guard let folded = try? emitFold(bn, target, b, registry) else {
                // Shapes did not check: drop what was appended and leave this batch norm.
                graph.replaceContents(values: Array(graph.values.prefix(while: { $0.producer.index < start })),
                                      nodes: Array(graph.nodes.prefix(start)))
                continue
            }
            let weightNodes = Array(start..<folded.firstAfter)
            let after = Array(folded.firstAfter..<graph.nodes.count)
            folds[bn.id.index] = Fold(nodes: weightNodes + target.chain + after, moved: Set(target.chain), result: folded.result)
            replacements.replace(bn.outputs[0], with: folded.result)
        }
        guard !folds.isEmpty else { return }
        graph.apply(replacements)
        let all = graph.nodes
        let moved = folds.values.reduce(into: Set<Int>()) { $0.formUnion($1.moved) }
        var order: [Node] = []
        for n in all.prefix(original.count) where !moved.contains(n.id.index) {
            if let fold = folds[n.id.index] { order += fold.nodes.map { all[$0] } } else { order.append(n) }
        }
        graph.renumber(keeping: order)
    }

    /// What a batch norm's input is computed by, when it can be folded.
    private struct Target {
        enum Kind { case convolution, matmul(transposedWeight: Bool) }
        var kind: Kind
        /// The convolution or matmul node.
        var producer: Int
        /// The dense layer's bias add, if any.
        var biasAdd: Int?
        var weight: ValueID
        var bias: ValueID?
        /// The nodes that move to the batch norm's place, in order.
        var chain: [Int]
    }

    private func foldTarget(of x: ValueID, _ graph: Graph, fixed: [Bool], isPrivate: (ValueID) -> Bool,
                            _ registry: Registry) -> Target? {
        let p = graph.producer(of: x)
        let type = graph[x].type
        switch p.op {
        case "convolution" where type.rank == 4 && (p.inputs.count == 2 || p.inputs.count == 3):
            guard p.inputs[1...].allSatisfy({ fixed[$0.index] }) else { return nil }
            return Target(kind: .convolution, producer: p.id.index, weight: p.inputs[1],
                          bias: p.inputs.count == 3 ? p.inputs[2] : nil, chain: [p.id.index])
        case "matmul" where type.rank == 2:
            return matmulTarget(p, bias: nil, add: nil, graph, fixed: fixed, registry)
        case "add" where type.rank == 2 && p.inputs.count == 2:
            for k in 0..<2 {
                let m = graph.producer(of: p.inputs[k]), bias = p.inputs[1 - k]
                guard m.op == "matmul", isPrivate(p.inputs[k]), graph[p.inputs[k]].type == type, fixed[bias.index],
                      graph[bias].type == TensorType(type.dtype, [type.shape[1]]) else { continue }
                return matmulTarget(m, bias: bias, add: p, graph, fixed: fixed, registry)
            }
            return nil
        default:
            return nil
        }
    }

    private func matmulTarget(_ m: Node, bias: ValueID?, add: Node?, _ graph: Graph, fixed: [Bool], _ registry: Registry) -> Target? {
        guard m.inputs.count == 2, graph[m.outputs[0]].type.rank == 2, graph[m.inputs[1]].type.rank == 2,
              fixed[m.inputs[1].index] else { return nil }
        let transposed = bound(m, graph, registry)["transpose_b"]?.boolValue == true
        return Target(kind: .matmul(transposedWeight: transposed), producer: m.id.index, biasAdd: add?.id.index,
                      weight: m.inputs[1], bias: bias, chain: [m.id.index] + (add.map { [$0.id.index] } ?? []))
    }

    /// Appends the computation of W' and b' and rewires the target to them. Returns the value
    /// that stands for the batch norm's result and the index of the first node that must come
    /// after the moved chain (the bias add of a matmul that had none).
    private func emitFold(_ bn: Node, _ t: Target, _ b: GraphBuilder, _ registry: Registry) throws
        -> (result: ValueID, firstAfter: Int) {
        let graph = b.graph
        let (gamma, beta, mean, variance) = (b.tensor(bn.inputs[1]), b.tensor(bn.inputs[2]), b.tensor(bn.inputs[3]), b.tensor(bn.inputs[4]))
        let dtype = gamma.dtype
        guard let c = gamma.shape.first?.value else { throw DLCError("batch_norm with an unknown channel count") }
        let eps = bound(bn, graph, registry)["eps"]?.doubleValue ?? 1e-5
        let s = try b.op1("mul", [gamma, b.op1("rsqrt", [b.op1("add", [variance, b.constant(eps, dtype: dtype)])])])
        let w = b.tensor(t.weight)
        let perChannel: Tensor
        switch t.kind {
        case .convolution: perChannel = try b.op1("reshape", [s], ["shape": .list([.int(c), .int(1), .int(1), .int(1)])])
        case .matmul(transposedWeight: true): perChannel = try b.op1("reshape", [s], ["shape": .list([.int(c), .int(1)])])
        case .matmul(transposedWeight: false): perChannel = s
        }
        let scaled = try b.op1("mul", [w, perChannel])
        let centered = try t.bias.map { try b.op1("sub", [b.tensor($0), mean]) } ?? b.op1("neg", [mean])
        let shifted = try b.op1("add", [b.op1("mul", [centered, s]), beta])
        let firstAfter = graph.nodes.count
        let producer = graph.nodes[t.producer]
        switch t.kind {
        case .convolution:
            graph[producer.id].inputs = [producer.inputs[0], scaled.id, shifted.id]
            return (producer.outputs[0], firstAfter)
        case .matmul:
            graph[producer.id].inputs[1] = scaled.id
            if let a = t.biasAdd, let old = t.bias {
                graph[NodeID(a)].inputs = graph.nodes[a].inputs.map { $0 == old ? shifted.id : $0 }
                return (graph.nodes[a].outputs[0], firstAfter)
            }
            return (try b.op1("add", [b.tensor(producer.outputs[0]), shifted]).id, firstAfter)
        }
    }

    /// A node's attributes with its op's defaults filled in.
    private func bound(_ n: Node, _ graph: Graph, _ registry: Registry) -> Attributes {
        guard let spec = registry.ops[n.op],
              let args = try? spec.bind(inputs: n.inputs.map { Tensor(id: $0, type: graph[$0].type) }, attributes: n.attributes)
        else { return n.attributes }
        return args.statics
    }

    /// For every value: whether it is computed from parameters and constants only (no input,
    /// no random op).
    private func parameterOnly(_ graph: Graph, _ registry: Registry) -> [Bool] {
        var fixed = [Bool](repeating: false, count: graph.values.count)
        for n in graph.nodes {
            let f: Bool
            switch n.op {
            case "param", "constant": f = true
            case "input", "dropout": f = false
            default: f = !n.inputs.isEmpty && registry.ops[n.op]?.family != .random && n.inputs.allSatisfy { fixed[$0.index] }
            }
            for o in n.outputs { fixed[o.index] = f }
        }
        return fixed
    }
}
