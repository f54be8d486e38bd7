// Edge bundling for nodes that stand for many ops.
import DLCCore

extension DiagramBuilder {
    /// Several values from one node into another, where either end stands for many ops (a
    /// collapsed scope or an optimizer group), become one edge: `f32[16] ×3` when they share
    /// a type, `5 tensors` otherwise. Gradient and data edges stay apart.
    func mergeParallelEdges(_ edges: [Diagram.Edge], nodes: [Diagram.Node]) -> [Diagram.Edge] {
        let grouped = Set(nodes.filter { $0.id.hasPrefix("s") }.map(\.id))  // collapsed scopes and groups
        var out: [Diagram.Edge] = []
        var first: [String: Int] = [:]  // bundle key → index of its edge in `out`
        var members: [String: [Diagram.Edge]] = [:]
        for e in edges {
            guard grouped.contains(e.from) || grouped.contains(e.to) else { out.append(e); continue }
            let key = "\(e.from)>\(e.to)>\(e.isGradient)>\(e.isParameter)"
            members[key, default: []].append(e)
            if let k = first[key] {
                let bundle = members[key]!
                let labels = Set(bundle.compactMap(\.label))
                out[k].label = labels.count == 1 ? "\(labels.first!) ×\(bundle.count)" : "\(bundle.count) tensors"
            } else {
                first[key] = out.count
                out.append(e)
            }
        }
        return out
    }
}
