import DLCCore

/// `cse`: a node that applies the same op with the same attributes to the same operands as an
/// earlier node is replaced by it (equal constants included). Inputs, parameters and random
/// ops (each call draws new numbers) are never merged. Uses are redirected; `dce` removes
/// the duplicates.
public struct CommonSubexpressionPass: Pass {
    public let name = "cse"

    public init() {}

    /// Nodes are looked up by op and operands; attributes and result types (costlier to hash)
    /// are compared only between nodes that share those.
    struct Key: Hashable {
        var op: String
        var inputs: [ValueID]
    }

    struct Candidate {
        var attributes: Attributes
        var types: [TensorType]
        var outputs: [ValueID]
    }

    public func run(on graph: Graph, context: PassContext) {
        var replacements = ValueReplacements()
        var first: [Key: [Candidate]] = [:]
        for original in graph.nodes {
            let inputs = original.inputs.map(replacements.resolve)
            if inputs != original.inputs { graph[original.id].inputs = inputs }
            let node = graph[original.id]
            guard mergeable(node, context.registry) else { continue }
            let key = Key(op: node.op, inputs: node.inputs)
            let types = node.outputs.map { graph[$0].type }
            if let earlier = first[key]?.first(where: { $0.types == types && $0.attributes == node.attributes }) {
                for (a, b) in zip(node.outputs, earlier.outputs) { replacements.replace(a, with: b) }
            } else {
                first[key, default: []].append(Candidate(attributes: node.attributes, types: types, outputs: node.outputs))
            }
        }
        graph.apply(replacements)
    }

    func mergeable(_ node: Node, _ registry: Registry) -> Bool {
        if node.op == "input" || node.op == "param" || node.outputs.isEmpty { return false }
        if node.op == "constant" { return true }
        guard let spec = registry.ops[node.op] else { return false }
        if spec.family == .random { return false }
        return !["dropout", "random", "bernoulli"].contains { node.op.contains($0) }
    }
}
