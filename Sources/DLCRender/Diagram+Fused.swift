// The `fused` stage draws each `fused_elementwise` kernel as a cluster holding one small node
// per instruction of its program, so the diagram shows which ops run as one kernel and how
// values flow inside it. A `fused_elementwise_multi` kernel is drawn the same way, its program
// once: every segment's operands enter the instructions that read them, and every segment's
// results leave the instructions that compute them.
import DLCCore

/// A fused kernel drawn as a cluster: its instruction nodes, the edges between them, and where
/// edges from outside enter and leave.
struct FusedDrawing {
    var cluster: Diagram.Cluster
    var nodes: [Diagram.Node]
    var edges: [Diagram.Edge]
    /// For each operand of the fused node, the instruction nodes that read it.
    var inputTargets: [[String]]
    /// For each result of the fused node, the instruction node that computes it.
    var resultIDs: [String]
}

extension DiagramBuilder {
    /// The drawing of a `fused_elementwise` node, or nil for any other node (or a program that
    /// does not decode, which is then drawn as a plain node).
    func fusedDrawing(_ node: DLCCore.Node) -> FusedDrawing? {
        let program: FusedProgram, segments: Int
        switch node.op {
        case "fused_elementwise":
            guard let p = try? FusedProgram(attributes: node.attributes) else { return nil }
            (program, segments) = (p, 1)
        case "fused_elementwise_multi":
            guard let layout = try? FusedMultiLayout(node.attributes, operands: node.inputs.count) else { return nil }
            (program, segments) = (layout.program, layout.shapes.count)
        default:
            return nil
        }
        guard !program.instructions.isEmpty else { return nil }
        let base = "n\(node.id.index)"
        let cluster = Diagram.Cluster(scope: "fused_\(node.id.index)", label: fusedLabel(program, segments: segments))
        var nodes: [Diagram.Node] = []
        var edges: [Diagram.Edge] = []
        let operandsPerSegment = node.inputs.count / segments
        var inputTargets = [[String]](repeating: [], count: operandsPerSegment)
        for (j, ins) in program.instructions.enumerated() {
            let id = "\(base)i\(j)"
            var lines: [String] = []
            let constants = ins.operands.compactMap { op -> String? in
                if case .constant(let c) = op { return StaticValue.format(c) }
                return nil
            }
            if !constants.isEmpty { lines.append("with " + constants.joined(separator: ", ")) }
            let attrs = ins.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\(short($0.value))" }
            if !attrs.isEmpty { lines.append(attrs.joined(separator: ", ")) }
            nodes.append(Diagram.Node(id: id, kind: .op, title: ins.op, lines: lines,
                                      family: registry.ops[ins.op]?.family ?? .elementwise, isTraining: isTraining(node)))
            cluster.items.append(.node(id))
            for operand in ins.operands {
                switch operand {
                case .input(let k) where k < inputTargets.count:
                    if !inputTargets[k].contains(id) { inputTargets[k].append(id) }
                case .temp(let t):
                    edges.append(Diagram.Edge(from: "\(base)i\(t)", to: id, label: nil))
                default: break
                }
            }
        }
        let results = program.results.map { "\(base)i\($0)" }
        guard results.count * segments == node.outputs.count else { return nil }
        return FusedDrawing(cluster: cluster, nodes: nodes, edges: edges,
                            inputTargets: (0..<segments).flatMap { _ in inputTargets },
                            resultIDs: (0..<segments).flatMap { _ in results })
    }

    /// `fused kernel · 4 ops: mul, add, relu`: the distinct ops in program order; with several
    /// segments `fused kernel × 6 segments · 4 ops: …`.
    func fusedLabel(_ program: FusedProgram, segments: Int = 1) -> String {
        var names: [String] = []
        for ins in program.instructions where !names.contains(ins.op) { names.append(ins.op) }
        let shown = names.prefix(6).joined(separator: ", ") + (names.count > 6 ? ", …" : "")
        let count = program.instructions.count
        let kernel = segments > 1 ? "fused kernel × \(segments) segments" : "fused kernel"
        return "\(kernel) · \(count) op\(count == 1 ? "" : "s"): \(shown)"
    }
}
