// Reverse-mode automatic differentiation on the graph IR, and the `autodiff` pass.
//
// `Autodiff.differentiate` appends the backward graph to the forward one: for each forward
// node on a path from a `wrt` value to the loss (in reverse order), it calls the op's
// `GradientRule` (DLCOps/Gradients) with the cotangents of the node's results, and adds the
// returned cotangents into those of its operands (`add` where a value is used several times).
// Only floating-point values carry cotangents: integer and bool values (labels, indices,
// comparisons) cut the path, as do `stop_gradient`, the random ops (a sample has no
// gradient with respect to its distribution's parameters, as in PyTorch; this is how the
// dropout layer's `dropout_mask` stays out of the way) and non-trainable parameters. Backward
// nodes that end up unused (e.g. the cotangent of a constant operand) are removed again.
//
// Readability of `--print-after=autodiff`: every backward node keeps the source location of
// the forward node it differentiates and gets the scope `grad` prefixed to that node's scope
// (`grad.fc1`, or `grad` at top level), so its `// grad.fc1 @7:9` comment points at the
// statement it comes from; gradients of parameters are outputs named `grad.<param name>`.
import DLCCore

public enum Autodiff {
    /// The scope of backward nodes for a forward node of scope `scope`.
    public static func backwardScope(_ scope: String) -> String { scope.isEmpty ? "grad" : "grad." + scope }

    /// Appends to `graph` the reverse-mode gradient of scalar `loss` with respect to each of `wrt`
    /// (param or input values). Cotangents of values used several times are accumulated with `add`.
    /// Nothing is computed for values that do not lead to the loss or do not depend on `wrt`,
    /// nor through integer values, `stop_gradient`, or non-trainable params.
    /// - Returns: the gradient value of each `wrt` (nil when the loss does not depend on it).
    /// - Throws: DLCError naming the op and source location of a differentiable path through an
    ///   op with no gradient rule (or a non-differentiable op that is not cut by stop_gradient).
    ///   The error has one note, at the offending node's location.
    public static func differentiate(_ graph: Graph, loss: ValueID, wrt: [ValueID], registry: Registry) throws -> [ValueID: ValueID] {
        let lossType = graph[loss].type
        guard lossType.rank == 0, lossType.dtype.isFloat else {
            throw DLCError("cannot differentiate \(loss) of type \(lossType): the loss must be a floating-point scalar")
        }
        let forwardNodes = graph.nodes.count, forwardValues = graph.values.count
        func carries(_ v: ValueID) -> Bool { graph[v].type.dtype.isFloat }

        // Values that depend on a wrt value along floating-point values.
        var depends = Set(wrt.filter(carries))
        for node in graph.nodes where !cutsGradient(node, registry) && node.inputs.contains(where: depends.contains) {
            for v in node.outputs where carries(v) { depends.insert(v) }
        }
        // Values the loss depends on.
        var leads: Set<ValueID> = [loss]
        for node in graph.nodes.reversed() where node.outputs.contains(where: leads.contains) {
            leads.formUnion(node.inputs)
        }
        func active(_ v: ValueID) -> Bool { depends.contains(v) && leads.contains(v) }

        let builder = GraphBuilder(graph: graph, registry: registry)
        builder.scope = backwardScope("")
        var cotangent: [ValueID: Tensor] = [:]
        if active(loss) { cotangent[loss] = builder.constant(1, dtype: lossType.dtype) }

        for node in graph.nodes[..<forwardNodes].reversed() {
            let cts = node.outputs.map { cotangent[$0] }
            guard cts.contains(where: { $0 != nil }), node.inputs.contains(where: active) else { continue }
            guard let spec = registry.ops[node.op] else { continue }  // input, param, constant
            func failure(_ message: String) -> DLCError {
                DLCError("cannot differentiate '\(node.op)' at \(node.location.description): \(message)",
                         notes: [.note("'\(node.op)' is used here", at: node.location)])
            }
            guard spec.differentiable else {
                throw failure("the op is not differentiable; cut the path to the loss with stop_gradient()")
            }
            guard let rule = spec.gradient else { throw failure("the op has no gradient rule") }

            builder.location = node.location
            builder.scope = backwardScope(node.scope)
            let inputs = node.inputs.map { builder.tensor($0) }
            let context = GradientContext(builder: builder, inputs: inputs, outputs: node.outputs.map { builder.tensor($0) },
                                          arguments: try spec.bind(inputs: inputs, attributes: node.attributes),
                                          cotangents: cts)
            let grads: [Tensor?]
            do {
                grads = try rule(context)
            } catch let e as DLCError {
                throw failure("its gradient rule failed: \(e.message)")
            }
            guard grads.count == inputs.count else {
                throw failure("internal error: its gradient rule returned \(grads.count) cotangents for \(inputs.count) operands")
            }
            for (x, grad) in zip(inputs, grads) {
                guard let grad, active(x.id) else { continue }
                guard grad.type == x.type else {
                    throw failure("internal error: its gradient rule returned \(grad.type) for the operand \(x.id) of type \(x.type)")
                }
                if let previous = cotangent[x.id] {
                    cotangent[x.id] = try builder.op1("add", [previous, grad])
                } else {
                    cotangent[x.id] = grad
                }
            }
        }

        var result: [ValueID: ValueID] = [:]
        for w in wrt { if let g = cotangent[w] { result[w] = g.id } }
        return pruneBackward(graph, from: forwardNodes, values: forwardValues, keeping: result)
    }

    /// Whether no gradient flows through a node: `stop_gradient`, and the random ops, whose
    /// results are samples that do not vary with their operands' values (as in PyTorch:
    /// `bernoulli(p)` has a zero gradient; `dropout_mask(x)` only takes x's shape).
    static func cutsGradient(_ node: Node, _ registry: Registry) -> Bool {
        node.op == "stop_gradient" || registry.ops[node.op]?.family == .random
    }

    /// Removes the backward nodes (those from `start` on) that no kept gradient uses, and
    /// renumbers the backward values after the forward ones.
    private static func pruneBackward(_ graph: Graph, from start: Int, values firstValue: Int,
                                      keeping result: [ValueID: ValueID]) -> [ValueID: ValueID] {
        var live = Set(result.values)
        var keep = [Bool](repeating: false, count: graph.nodes.count)
        for node in graph.nodes[start...].reversed() where node.outputs.contains(where: live.contains) {
            keep[node.id.index] = true
            live.formUnion(node.inputs)
        }
        guard keep[start...].contains(false) else { return result }
        var values = Array(graph.values[..<firstValue]), nodes = Array(graph.nodes[..<start])
        var newID: [ValueID: ValueID] = [:]
        func mapped(_ v: ValueID) -> ValueID { v.index < firstValue ? v : newID[v]! }
        for node in graph.nodes[start...] where keep[node.id.index] {
            let nid = NodeID(nodes.count)
            var outs: [ValueID] = []
            for v in node.outputs {
                let old = graph[v], id = ValueID(values.count)
                values.append(Value(id: id, type: old.type, name: old.name, location: old.location, producer: nid))
                newID[v] = id
                outs.append(id)
            }
            nodes.append(Node(id: nid, op: node.op, inputs: node.inputs.map(mapped), outputs: outs, attributes: node.attributes,
                              location: node.location, scope: node.scope, layer: node.layer))
        }
        graph.replaceContents(values: values, nodes: nodes)
        return result.mapValues(mapped)
    }
}

/// `autodiff`: appends the gradient of the graph's first loss with respect to every trainable
/// parameter, each exposed as an output `grad.<param name>` (parameters the loss does not
/// depend on get none). A path through an op without a gradient rule is an error at that op.
public struct AutodiffPass: Pass {
    public let name = "autodiff"
    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        guard let loss = graph.losses.first else { return }
        let params = graph.paramNodes.filter { $0.attributes["trainable"] != .bool(false) }
        do {
            let grads = try Autodiff.differentiate(graph, loss: loss.value, wrt: params.map { $0.outputs[0] },
                                                   registry: context.registry)
            for p in params {
                guard let g = grads[p.outputs[0]], case .string(let name)? = p.attributes["name"] else { continue }
                graph[g].name = graph[g].name ?? "grad.\(name)"
                graph.outputs.append(NamedValue(name: "grad.\(name)", value: g, location: p.location))
            }
        } catch let e as DLCError {
            let at = e.notes.first?.range ?? loss.location
            let message = e.message.replacing(" at \(at.description):", with: ":")
            context.diagnostics.error(message, at: at)
        } catch {
            context.diagnostics.error("autodiff: \(error)", at: loss.location)
        }
    }
}
