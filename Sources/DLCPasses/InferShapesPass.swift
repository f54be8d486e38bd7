import DLCCore

/// `infer-shapes`: re-derives the type of every node from its operands with the op's shape
/// rule, in topological order, and updates the graph. The front end already typed every
/// node as it built it; this pass makes the types hold again after any rewrite, and reports
/// a rule that now fails at the node's source location.
public struct InferShapesPass: Pass {
    public let name = "infer-shapes"
    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        for node in graph.nodes {
            guard let spec = context.registry.ops[node.op] else { continue }  // input, param, constant
            let operands = node.inputs.map { Tensor(id: $0, type: graph[$0].type) }
            do {
                let args = try spec.bind(inputs: operands, attributes: node.attributes)
                let types = try spec.infer(args)
                guard types.count == node.outputs.count else {
                    context.diagnostics.error("'\(node.op)' now yields \(types.count) results instead of \(node.outputs.count)",
                                              at: node.location)
                    continue
                }
                for (v, t) in zip(node.outputs, types) { graph[v].type = t }
            } catch let e as DLCError {
                context.diagnostics.error(e.message, at: node.location)
            } catch {
                context.diagnostics.error("'\(node.op)': \(error)", at: node.location)
            }
        }
    }
}
