import DLCCore

/// `fuse-horizontal`: merges `fused_elementwise` nodes, and single elementwise ops, that run
/// the same program (same instructions, constants, results and element type) over operands
/// of their own result shape or scalars into one `fused_elementwise_multi` node per run of
/// them — above all the optimizer update of every parameter, one kernel per update rule
/// instead of one per parameter. Run it after `fuse-elementwise`.
///
/// A node joins the run of its program while it comes before every reader of the run's
/// results; the merged node takes the place of the run's last member. So no reader moves,
/// the members are independent of each other (a path from one member to another would pass
/// through a reader of the first before the second), and no result is computed earlier than
/// it was — only the operands of the earlier members live until the merged node. Results
/// nobody reads in the graph (the state updates) never close a run. A node computed from
/// parameters and constants alone (the weights of a folded batch norm, which an inference plan
/// computes once per state) never merges with one that reads an input, which would make it
/// run on every step.
public struct FuseHorizontalPass: Pass {
    public let name = "fuse-horizontal"

    public init() {}

    /// A node that may become a segment: its program and operands.
    struct Candidate {
        var node: Int
        var layout: FusedMultiLayout
        var operands: [ValueID]
    }

    public func run(on graph: Graph, context: PassContext) {
        guard context.registry.ops["fused_elementwise_multi"] != nil else { return }
        let nodes = graph.nodes
        var firstReader = [Int](repeating: Int.max, count: graph.values.count)
        for n in nodes { for v in n.inputs { firstReader[v.index] = min(firstReader[v.index], n.id.index) } }
        // Values computed from parameters and constants alone (nothing random).
        var fromState = [Bool](repeating: false, count: graph.values.count)
        for n in nodes {
            let random = context.registry.ops[n.op]?.family == .random
                || ["dropout", "random", "bernoulli"].contains { n.op.contains($0) }
            let derived = n.op == "param" || n.op == "constant"
                || (n.op != "input" && !random && !n.inputs.isEmpty && n.inputs.allSatisfy { fromState[$0.index] })
            for o in n.outputs { fromState[o.index] = derived }
        }

        // Runs are grown in place (`runs[i]`), the open run of each program found by its key:
        // copying a run out of a dictionary to append made a long run (the optimizer update of
        // every parameter of the 200-layer model) quadratic.
        struct Run { var members: [Candidate]; var firstReader: Int }
        var open: [Attributes: Int] = [:]
        var runs: [Run] = []
        for n in nodes {
            guard let c = candidate(n, graph: graph, registry: context.registry) else { continue }
            let key = c.layout.program.attributes.merging(["dtype": .dtype(c.layout.dtype), "operands": .int(c.operands.count),
                                                           "fromState": .bool(n.inputs.allSatisfy { fromState[$0.index] })]) { a, _ in a }
            let reader = n.outputs.map { firstReader[$0.index] }.min() ?? Int.max
            if let i = open[key], n.id.index < runs[i].firstReader {
                runs[i].members.append(c)
                runs[i].firstReader = min(runs[i].firstReader, reader)
            } else {
                open[key] = runs.count
                runs.append(Run(members: [c], firstReader: reader))
            }
        }
        runs.removeAll { $0.members.count < 2 }
        guard !runs.isEmpty else { return }

        var replacement: [Int: Node] = [:]
        var removed = Set<Int>()
        for run in runs {
            let members = run.members
            let last = nodes[members.last!.node]
            var layout = members[0].layout
            layout.shapes = members.map { graph[nodes[$0.node].outputs[0]].type.shape }
            replacement[last.id.index] = Node(id: last.id, op: "fused_elementwise_multi", inputs: members.flatMap(\.operands),
                                              outputs: members.flatMap { nodes[$0.node].outputs }, attributes: layout.attributes,
                                              location: last.location, scope: last.scope, layer: last.layer)
            for m in members.dropLast() { removed.insert(m.node) }
        }
        graph.renumber(keeping: nodes.compactMap { removed.contains($0.id.index) ? nil : replacement[$0.id.index] ?? $0 })
    }

    /// The node as a segment: a `fused_elementwise` node, or a fusible elementwise op with
    /// float operands and result (scalar constants inlined as in `fuse-elementwise`), whose
    /// operands are all of its result's shape or scalars; nil for any other node.
    func candidate(_ n: Node, graph: Graph, registry: Registry) -> Candidate? {
        guard let first = n.outputs.first else { return nil }
        let shape = graph[first].type.shape
        func fits(_ v: ValueID) -> Bool { graph[v].type.shape == shape || graph[v].type.rank == 0 }
        if n.op == "fused_elementwise" {
            guard let program = try? FusedProgram(attributes: n.attributes), case .dtype(let d)? = n.attributes["dtype"],
                  n.inputs.allSatisfy(fits), n.outputs.allSatisfy({ graph[$0].type.shape == shape }) else { return nil }
            return Candidate(node: n.id.index, layout: FusedMultiLayout(program: program, dtype: d, shapes: [shape],
                                                                        operandsPerSegment: n.inputs.count), operands: n.inputs)
        }
        guard fusibleElementwiseOps.contains(n.op), n.outputs.count == 1 else { return nil }
        let d = graph[first].type.dtype
        guard d.isFloat, n.inputs.allSatisfy({ graph[$0].type.dtype == d && fits($0) }) else { return nil }
        var operands: [ValueID] = []
        let refs: [FusedOperand] = n.inputs.map { v in
            let p = graph.producer(of: v)
            if p.op == "constant", graph[v].type.rank == 0, let c = p.attributes["value"]?.doubleValue { return .constant(c) }
            if let k = operands.firstIndex(of: v) { return .input(k) }
            operands.append(v)
            return .input(operands.count - 1)
        }
        var attrs = n.attributes
        if let spec = registry.ops[n.op],
           let bound = try? spec.bind(inputs: n.inputs.map { Tensor(id: $0, type: graph[$0].type) }, attributes: n.attributes) {
            attrs = bound.statics
        }
        let program = FusedProgram(instructions: [FusedInstruction(op: n.op, dtype: d, operands: refs, attributes: attrs)], results: [0])
        return Candidate(node: n.id.index, layout: FusedMultiLayout(program: program, dtype: d, shapes: [shape],
                                                                    operandsPerSegment: operands.count), operands: operands)
    }
}
