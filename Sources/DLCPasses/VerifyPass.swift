import DLCCore

/// `verify`: checks the structural invariants every later stage relies on — every op is
/// registered, operands are defined before use (topological order, SSA), each value has
/// exactly the producer that lists it, outputs and losses name existing values, and
/// losses are floating-point scalars. A failure here is a compiler bug, reported as such.
public struct VerifyPass: Pass {
    public let name = "verify"
    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        var defined = Set<ValueID>()
        func fail(_ message: String, _ node: Node?) {
            context.diagnostics.error("internal error: graph '\(graph.name)' is invalid after a pass: \(message)",
                                      at: node?.location ?? graph.location)
        }
        for (i, node) in graph.nodes.enumerated() {
            if node.id.index != i { fail("node \(i) has id \(node.id.index)", node) }
            if !["input", "param", "constant"].contains(node.op), context.registry.ops[node.op] == nil {
                fail("unknown op '\(node.op)'", node)
            }
            for v in node.inputs where !defined.contains(v) {
                fail("'\(node.op)' uses \(v) before it is defined", node)
            }
            for v in node.outputs {
                guard v.index < graph.values.count else { fail("'\(node.op)' defines missing value \(v)", node); continue }
                if graph[v].producer != node.id { fail("\(v) claims another producer than '\(node.op)'", node) }
                if !defined.insert(v).inserted { fail("\(v) is defined twice", node) }
            }
        }
        for o in graph.outputs + graph.losses where !defined.contains(o.value) {
            fail("'\(o.name)' names undefined value \(o.value)", nil)
        }
        for l in graph.losses where defined.contains(l.value) {
            let t = graph[l.value].type
            if t.rank != 0 || !t.dtype.isFloat { fail("loss '\(l.name)' has type \(t)", nil) }
        }
    }
}
