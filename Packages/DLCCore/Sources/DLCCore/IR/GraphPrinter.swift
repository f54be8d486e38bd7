/// Prints a graph as stable text, for `--emit=ir`, `--print-after` and golden tests:
///
///     graph LeNet5 {
///       %0 = input "image" : f32[N, 1, 28, 28]
///       %4 = convolution(%0, %2, %3) {dilation=[1, 1], ...} : f32[N, 6, 28, 28]  // c1 (conv2d) @3:8
///       output probs = %20
///     }
public struct GraphPrinter {
    /// Show `// scope (layer) @line:col` comments.
    public var showLocations: Bool

    public init(showLocations: Bool = true) { self.showLocations = showLocations }

    public func print(_ g: Graph) -> String {
        var out = "graph \(g.name) {\n"
        for n in g.nodes {
            out += "  " + line(for: n, in: g) + "\n"
        }
        for o in g.outputs { out += "  output \(o.name) = \(o.value)\n" }
        for l in g.losses { out += "  loss \(l.name) = \(l.value)\n" }
        for u in g.updates { out += "  update \(u.name) = \(u.value)\n" }
        out += "}\n"
        return out
    }

    /// One node: results, op, operands, attributes, result types, provenance.
    public func line(for n: Node, in g: Graph) -> String {
        let results = n.outputs.map(\.description).joined(separator: ", ")
        var text = "\(results) = \(n.op)"
        var attrs = n.attributes
        switch n.op {
        case "input", "param":
            if case .string(let name)? = attrs.removeValue(forKey: "name") { text += " \"\(name)\"" }
        default:
            text += "(" + n.inputs.map(\.description).joined(separator: ", ") + ")"
        }
        if !attrs.isEmpty {
            text += " {" + attrs.keys.sorted().map { "\($0)=\(attrs[$0]!)" }.joined(separator: ", ") + "}"
        }
        text += " : " + n.outputs.map { g[$0].type.description }.joined(separator: ", ")
        if showLocations {
            var where_: [String] = []
            if !n.scope.isEmpty { where_.append(n.scope) }
            if let layer = n.layer { where_.append("(\(layer))") }
            if let file = n.location.file {
                let (l, c) = file.lineAndColumn(of: n.location.start)
                where_.append("@\(l):\(c)")
            }
            if !where_.isEmpty { text += "  // " + where_.joined(separator: " ") }
        }
        return text
    }
}
