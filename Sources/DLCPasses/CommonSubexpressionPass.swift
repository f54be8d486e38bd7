import DLCCore

/// `cse`: a node that applies the same op with the same attributes to the same operands as an
/// earlier node is replaced by it (equal constants included). Inputs, parameters and random
/// ops (each call draws new numbers) are never merged. Uses are redirected; `dce` removes
/// the duplicates.
public struct CommonSubexpressionPass: Pass {
    public let name = "cse"

    public init() {}

    struct Key: Hashable {
        var op: String
        var inputs: [ValueID]
        var attributes: Attributes
        var types: [TensorType]
    }

    public func run(on graph: Graph, context: PassContext) {
        var replacements = ValueReplacements()
        var first: [Key: [ValueID]] = [:]
        for original in graph.nodes {
            let inputs = original.inputs.map(replacements.resolve)
            if inputs != original.inputs { graph[original.id].inputs = inputs }
            let node = graph[original.id]
            guard mergeable(node, context.registry) else { continue }
            let key = Key(op: node.op, inputs: node.inputs, attributes: node.attributes, types: node.outputs.map { graph[$0].type })
            if let earlier = first[key] {
                for (a, b) in zip(node.outputs, earlier) { replacements.replace(a, with: b) }
            } else {
                first[key] = node.outputs
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
