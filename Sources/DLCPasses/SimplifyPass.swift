import DLCCore

/// `simplify`: constant folding and algebraic simplification, in one walk in program order.
///
/// - An elementwise op whose operands are all rank-0 floating-point constants becomes a
///   constant (`1.0 - 0.9` → `0.1`).
/// - Identities: `x * 1`, `1 * x`, `x + 0`, `0 + x`, `x - 0`, `x / 1` → `x` (when the result
///   has `x`'s type, so no broadcast is lost); `neg(neg(x))` → `x`; a `cast`, `reshape` or
///   `broadcast_to` to the operand's own type → the operand.
/// - Chains: `transpose(transpose(x))` → one transpose, or `x` when the permutations cancel;
///   `reshape` of a reshape, flatten, squeeze or expand_dims reads the first one's operand.
/// - Broadcasts absorbed: an elementwise binary op reading `broadcast_to(v)`, whose other
///   operand already has the result's shape, reads `v` itself — its kernels broadcast — so the
///   broadcast is neither materialized nor read back (the gradient of a mean, `1/n` broadcast
///   to the input's shape, is one scalar operand of the fused kernel); a scalar constant is
///   then inlined by the fused kernels.
///
/// It only redirects uses and turns folded nodes into constants; `dce` removes what became
/// dead. Named results (outputs, losses, updates) keep their own computation.
public struct SimplifyPass: Pass {
    public let name = "simplify"

    public init() {}

    static let binaryElementwise: Set<String> = ["add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                                 "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
    static let viewOps: Set<String> = ["reshape", "flatten", "squeeze", "expand_dims"]

    public func run(on graph: Graph, context: PassContext) {
        var replacements = ValueReplacements()
        for original in graph.nodes {
            // Keep operands current, so chains see the simplified producers.
            let inputs = original.inputs.map(replacements.resolve)
            if inputs != original.inputs { graph[original.id].inputs = inputs }
            let node = graph[original.id]
            guard node.outputs.count == 1 else { continue }
            let out = node.outputs[0]
            let type = graph[out].type

            if let folded = fold(node, graph) {
                graph[node.id].op = "constant"
                graph[node.id].inputs = []
                graph[node.id].attributes = ["value": .float(folded)]
                continue
            }
            if let same = identity(node, type: type, graph) {
                replacements.replace(out, with: same)
                continue
            }
            simplifyChain(node, graph, replacements: &replacements)
            absorbBroadcasts(node, type: type, graph)
        }
        graph.apply(replacements)
    }

    /// A rank-0 floating-point constant's value.
    func constant(_ v: ValueID, _ graph: Graph) -> Double? {
        let p = graph.producer(of: v)
        guard p.op == "constant", graph[v].type.shape.isEmpty, graph[v].type.dtype.isFloat else { return nil }
        return p.attributes["value"]?.doubleValue
    }

    func fold(_ node: Node, _ graph: Graph) -> Double? {
        guard !node.inputs.isEmpty, graph[node.outputs[0]].type.shape.isEmpty, graph[node.outputs[0]].type.dtype.isFloat
        else { return nil }
        let values = node.inputs.compactMap { constant($0, graph) }
        guard values.count == node.inputs.count,
              let v = ScalarFolding.fold(node.op, values, attributes: node.attributes), v.isFinite else { return nil }
        return v
    }

    /// The operand a node merely passes on, if it does.
    func identity(_ node: Node, type: TensorType, _ graph: Graph) -> ValueID? {
        let ins = node.inputs
        func passes(_ k: Int) -> Bool { graph[ins[k]].type == type }
        switch node.op {
        case "mul" where ins.count == 2:
            if constant(ins[1], graph) == 1, passes(0) { return ins[0] }
            if constant(ins[0], graph) == 1, passes(1) { return ins[1] }
        case "add" where ins.count == 2:
            if constant(ins[1], graph) == 0, passes(0) { return ins[0] }
            if constant(ins[0], graph) == 0, passes(1) { return ins[1] }
        case "sub" where ins.count == 2:
            if constant(ins[1], graph) == 0, passes(0) { return ins[0] }
        case "div" where ins.count == 2:
            if constant(ins[1], graph) == 1, passes(0) { return ins[0] }
        case "neg" where ins.count == 1:
            let p = graph.producer(of: ins[0])
            if p.op == "neg", graph[p.inputs[0]].type == type { return p.inputs[0] }
        case "cast", "reshape", "broadcast_to", "flatten", "squeeze", "expand_dims":
            if ins.count == 1, passes(0) { return ins[0] }
        case "transpose" where ins.count == 1:
            if let perm = permutation(node, rank: type.rank), perm == Array(0..<type.rank) { return ins[0] }
        default: break
        }
        return nil
    }

    /// `transpose(transpose(x))` and `reshape(view(x))`: the outer node reads `x` directly.
    func simplifyChain(_ node: Node, _ graph: Graph, replacements: inout ValueReplacements) {
        guard node.inputs.count == 1 else { return }
        let inner = graph.producer(of: node.inputs[0])
        guard inner.inputs.count == 1, inner.outputs.count == 1 else { return }
        let x = inner.inputs[0]
        switch node.op {
        case "transpose" where inner.op == "transpose":
            let rank = graph[x].type.rank
            guard let a = permutation(inner, rank: rank), let b = permutation(node, rank: rank) else { return }
            let composed = b.map { a[$0] }
            if composed == Array(0..<rank) {
                replacements.replace(node.outputs[0], with: x)
            } else {
                graph[node.id].inputs = [x]
                graph[node.id].attributes["perm"] = .list(composed.map { .int($0) })
            }
        case "reshape" where Self.viewOps.contains(inner.op):
            if graph[x].type == graph[node.outputs[0]].type {
                replacements.replace(node.outputs[0], with: x)
            } else {
                graph[node.id].inputs = [x]
            }
        default: break
        }
    }

    /// A transpose's permutation (`[]` reverses the axes), or nil when it cannot be read.
    func permutation(_ node: Node, rank: Int) -> [Int]? {
        guard let list = (node.attributes["perm"] ?? .list([])).listValue else { return nil }
        if list.isEmpty { return Array((0..<rank).reversed()) }
        let perm = list.compactMap(\.intValue)
        guard perm.count == rank, Set(perm) == Set(0..<rank) else { return nil }
        return perm
    }

    /// `add(x, broadcast_to(v))` → `add(x, v)` when `x` has the result's shape.
    func absorbBroadcasts(_ node: Node, type: TensorType, _ graph: Graph) {
        guard Self.binaryElementwise.contains(node.op), node.inputs.count == 2 else { return }
        for k in 0..<2 {
            let p = graph.producer(of: node.inputs[k])
            guard p.op == "broadcast_to", p.inputs.count == 1,
                  graph[p.inputs[0]].type.dtype == graph[node.inputs[k]].type.dtype,
                  graph[node.inputs[1 - k]].type.shape == type.shape else { continue }
            graph[node.id].inputs[k] = p.inputs[0]
        }
    }
}
