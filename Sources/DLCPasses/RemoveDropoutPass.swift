import DLCCore

/// `remove-dropout` (inference only): dropout is the identity when nothing is trained, so its
/// uses read its operand instead.
///
/// - `dropout(x)` → `x`.
/// - `mul(x, dropout_mask(…))` or `mul(dropout_mask(…), x)` (the `dropout` layer) → `x`, when
///   the product has `x`'s type (an inference mask is all ones; no broadcast is lost).
///
/// It only redirects uses; `dce` removes the dead masks and products. A `dropout_mask` used
/// in any other way stays (the inference lowering fills it with ones).
public struct RemoveDropoutPass: Pass {
    public let name = "remove-dropout"

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        var replacements = ValueReplacements()
        for node in graph.nodes where node.outputs.count == 1 {
            let out = node.outputs[0], ins = node.inputs.map(replacements.resolve)
            switch node.op {
            case "dropout" where ins.count == 1 && graph[ins[0]].type == graph[out].type:
                replacements.replace(out, with: ins[0])
            case "mul" where ins.count == 2:
                for k in 0..<2 where graph.producer(of: ins[k]).op == "dropout_mask" && graph[ins[1 - k]].type == graph[out].type {
                    replacements.replace(out, with: ins[1 - k])
                    break
                }
            default: break
            }
        }
        graph.apply(replacements)
    }
}
