import DLCCore

/// Colours and names of op families, for nodes and the legend.
public enum FamilyStyle {
    public static func fill(_ f: OpFamily) -> String {
        switch f {
        case .source: "#eef0f2"
        case .convolution: "#a9cce3"
        case .matmul: "#d7bde2"
        case .pooling: "#a3e4d7"
        case .normalization: "#f9e79f"
        case .activation: "#fad7a0"
        case .elementwise: "#e5e7e9"
        case .reduction: "#f5cba7"
        case .dataMovement: "#d6eaf8"
        case .loss: "#f1948a"
        case .optimizer: "#abebc6"
        case .random: "#f8c9e0"
        case .recurrent: "#c39bd3"
        case .attention: "#85c1e9"
        case .other: "#ffffff"
        }
    }

    public static func name(_ f: OpFamily) -> String {
        switch f {
        case .source: "parameter / constant"
        case .dataMovement: "data movement"
        case .matmul: "matmul / dense"
        default: f.rawValue
        }
    }
}

/// Writes a `Diagram` as DOT text. The text depends only on the diagram (stable for golden
/// tests): nodes in graph order, clusters nested, edges last.
public struct DotWriter {
    public init() {}

    static let font = "Helvetica,Arial,sans-serif"

    public func write(_ d: Diagram) -> String {
        var out = "digraph \(quote(d.name)) {\n"
        let ranksep = d.options.rankdir == .LR ? "0.5" : "0.3"
        out += "  graph [rankdir=\(d.options.rankdir.rawValue), fontname=\(quote(Self.font)), fontsize=12, "
            + "nodesep=0.25, ranksep=\(ranksep), labelloc=t, labeljust=c, newrank=true, bgcolor=white, pad=0.2];\n"
        out += "  node [fontname=\(quote(Self.font)), fontsize=11, shape=box, style=\"rounded,filled\", "
            + "color=\"#5d6d7e\", penwidth=0.8, margin=\"0.12,0.04\", height=0.3];\n"
        out += "  edge [fontname=\(quote(Self.font)), fontsize=9, fontcolor=\"#566573\", color=\"#566573\", "
            + "arrowsize=0.6, penwidth=0.8];\n"
        out += "  label=<\(titleLabel(d))>;\n"
        let byID = Dictionary(uniqueKeysWithValues: d.nodes.map { ($0.id, $0) })
        writeItems(d.root.items, byID: byID, indent: "  ", into: &out)
        for e in d.edges { out += "  " + edge(e) + "\n" }
        out += "}\n"
        return out
    }

    func writeItems(_ items: [Diagram.Item], byID: [String: Diagram.Node], indent: String, into out: inout String) {
        for item in items {
            switch item {
            case .node(let id):
                out += indent + node(byID[id]!) + "\n"
            case .cluster(let c):
                out += indent + "subgraph \(quote("cluster_" + c.scope)) {\n"
                out += indent + "  label=<<b>\(html(c.label))</b>>; labeljust=l; fontsize=10; fontcolor=\"#34495e\"; "
                    + "style=\"rounded,filled\"; fillcolor=\"#fbfcfc\"; color=\"#aab7b8\"; penwidth=0.8;\n"
                writeItems(c.items, byID: byID, indent: indent + "  ", into: &out)
                out += indent + "}\n"
            }
        }
    }

    func node(_ n: Diagram.Node) -> String {
        var attrs: [String] = []
        var label = "<b>\(html(n.title))</b>"
        let small = n.kind == .param || n.kind == .constant
        for l in n.lines {
            label += "<br/><font point-size=\"\(small ? 8 : 9)\" color=\"#424949\">\(html(l))</font>"
        }
        if n.kind == .params {
            label = n.rows.map { "<b>\(html($0.name))</b>  \(html($0.type))<br align=\"left\"/>" }.joined()
        }
        attrs.append("label=<\(label)>")
        switch n.kind {
        case .input:
            attrs += ["shape=box", "style=\"rounded,filled,bold\"", "fillcolor=\"#d5f5e3\"", "color=\"#1e8449\""]
        case .param, .constant, .params:
            attrs += ["fontsize=9", "fillcolor=\"\(FamilyStyle.fill(.source))\"", "color=\"#99a3a4\"", "height=0.2"]
        case .op:
            attrs.append("fillcolor=\"\(FamilyStyle.fill(n.family ?? .other))\"")
        case .collapsed:
            attrs += ["shape=box3d", "style=filled", "fillcolor=\"\(FamilyStyle.fill(n.family ?? .other))\""]
        case .output:
            attrs += ["shape=oval", "style=\"filled,bold\"", "fillcolor=\"#d5f5e3\"", "color=\"#1e8449\""]
        case .loss:
            attrs += ["shape=octagon", "style=\"filled,bold\"", "fillcolor=\"#fadbd8\"", "color=\"#b03a2e\""]
            if n.isTrainedLoss { attrs += ["peripheries=2", "penwidth=1.6"] }
        case .update:
            attrs += ["shape=cds", "style=filled", "fillcolor=\"\(FamilyStyle.fill(.optimizer))\"", "fontsize=9"]
        }
        if n.isTraining && n.kind != .update { attrs.append("style=\"rounded,filled,dashed\"") }
        return "\(n.id) [\(attrs.joined(separator: ", "))];"
    }

    func edge(_ e: Diagram.Edge) -> String {
        var attrs: [String] = []
        if let l = e.label { attrs.append("label=\(quote(" " + l))") }
        if e.isRecurrence {
            attrs += ["color=\"#1f618d\"", "fontcolor=\"#1f618d\"", "style=bold", "penwidth=1.6"]
            if e.isGradient { attrs.append("arrowhead=onormal") }
        } else if let c = e.color {
            attrs += ["color=\"\(c)\"", "fontcolor=\"\(c)\"", "penwidth=1.2", "weight=4"]
        } else if e.isGradient {
            attrs += ["color=\"#c0392b\"", "fontcolor=\"#c0392b\"", "style=dashed", "penwidth=1.1"]
        } else if e.isParameter {
            attrs += ["color=\"#aab7b8\"", "arrowsize=0.4"]
        } else {
            attrs.append("weight=4")  // keeps the data path straight; parameters hang off it
        }
        return "\(e.from) -> \(e.to)" + (attrs.isEmpty ? ";" : " [\(attrs.joined(separator: ", "))];")
    }

    /// The model name, its numbers, and a legend of the families used.
    func titleLabel(_ d: Diagram) -> String {
        let t = d.title ?? DiagramTitle(model: d.name)
        var facts: [String] = []
        if let p = t.parameters { facts.append("\(grouped(p)) parameters") }
        if let f = t.flops { facts.append("\(siFLOPs(f)) per example") }
        if let note = t.note { facts.append(note) }
        var s = "<table border=\"0\" cellborder=\"0\" cellspacing=\"2\" cellpadding=\"2\">"
        s += "<tr><td colspan=\"\(max(1, d.families.count))\"><font point-size=\"16\"><b>\(html(t.model))</b></font></td></tr>"
        if !facts.isEmpty {
            s += "<tr><td colspan=\"\(max(1, d.families.count))\"><font point-size=\"11\" color=\"#424949\">"
                + html(facts.joined(separator: "  ·  ")) + "</font></td></tr>"
        }
        if !d.families.isEmpty {
            s += "<tr>"
            for f in d.families {
                s += "<td bgcolor=\"\(FamilyStyle.fill(f))\" border=\"1\" color=\"#aab7b8\" style=\"rounded\">"
                    + "<font point-size=\"9\">\(html(FamilyStyle.name(f)))</font></td>"
            }
            s += "</tr>"
        }
        return s + "</table>"
    }

    func quote(_ s: String) -> String {
        "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    func html(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// `0.42 MFLOP`
func siFLOPs(_ n: Int) -> String {
    let units: [(Double, String)] = [(1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")]
    for (scale, name) in units where Double(n) >= scale {
        let v = (Double(n) / scale * 100).rounded() / 100
        var s = String(v)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
        }
        return s + " " + name
    }
    return "\(n) FLOP"
}

extension String {
    func replacingAll(_ a: Character, with b: String) -> String {
        var out = ""
        for ch in self { if ch == a { out += b } else { out.append(ch) } }
        return out
    }
}
