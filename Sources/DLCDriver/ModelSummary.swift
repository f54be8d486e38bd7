import DLCCore

/// The summary `dlc compile` prints for a model: its interface, a table of its layers
/// (scopes) with output types and parameter counts, totals of parameters, FLOPs and memory.
/// Per-example figures bind every symbolic dimension to 1.
public struct ModelSummary {
    public let graph: Graph
    public let registry: Registry

    public init(graph: Graph, registry: Registry) {
        self.graph = graph
        self.registry = registry
    }

    /// Forward FLOPs per example.
    public var flops: Int {
        graph.nodes.reduce(0) { total, node in
            guard let spec = registry.ops[node.op],
                  let args = try? spec.bind(inputs: node.inputs.map { Tensor(id: $0, type: graph[$0].type) },
                                            attributes: node.attributes) else { return total }
            return total + spec.cost(args, node.outputs.map { graph[$0].type })
        }
    }

    /// Bytes of all parameters and state.
    public var parameterBytes: Int {
        graph.paramNodes.reduce(0) { $0 + graph[$1.outputs[0]].type.byteCount() }
    }

    /// Bytes of every intermediate value of one example, without reuse.
    public var activationBytes: Int {
        graph.nodes.filter { !["input", "param", "constant"].contains($0.op) }
            .flatMap(\.outputs).reduce(0) { $0 + graph[$1].type.byteCount() }
    }

    public func render() -> String {
        var out = "model \(graph.name)\n"
        let rows: [(String, String)] =
            graph.inputNodes.map { ("input  " + ($0.attributes["name"]?.stringValue ?? "?"), graph[$0.outputs[0]].type.description) }
            + graph.outputs.map { ("output " + $0.name, graph[$0.value].type.description) }
            + graph.losses.map { ("loss   " + $0.name, graph[$0.value].type.description) }
        let w = rows.map(\.0.count).max() ?? 0
        for (k, v) in rows { out += "  \(k.padding(w))  \(v)\n" }

        let layers = layerTable()
        if !layers.isEmpty {
            let c0 = max(5, layers.map(\.scope.count).max()!), c1 = max(5, layers.map(\.layer.count).max()!)
            let c2 = max(8, layers.map(\.output.count).max()!)
            out += "\n  \("layer".padding(c0))  \("kind".padding(c1))  \("output".padding(c2))  params\n"
            for r in layers {
                let output = r.output.isEmpty ? "(unused)" : r.output
                out += "  \(r.scope.padding(c0))  \(r.layer.padding(c1))  \(output.padding(c2))  \(grouped(r.params))\n"
            }
        }
        let trainable = graph.trainableParameterCount
        let all = graph.paramNodes.reduce(0) { $0 + graph[$1.outputs[0]].type.elementCount() }
        out += "\n  parameters   \(grouped(trainable)) trainable"
        if all != trainable { out += ", \(grouped(all - trainable)) non-trainable" }
        out += " (\(bytes(parameterBytes)))\n"
        out += "  FLOPs        \(ModelSummary.si(flops)) per example (forward)\n"
        out += "  activations  \(bytes(activationBytes)) per example (forward, before memory reuse)\n"
        out += "  nodes        \(graph.nodes.count)\n"
        return out
    }

    struct LayerRow {
        var scope: String
        var layer: String
        var output: String
        var params: Int
    }

    /// One row per scope (a layer call or a block's own ops), in order of appearance.
    func layerTable() -> [LayerRow] {
        var rows: [LayerRow] = []
        var index: [String: Int] = [:]
        for node in graph.nodes where !node.scope.isEmpty {
            let i = index[node.scope] ?? {
                rows.append(LayerRow(scope: node.scope, layer: node.layer ?? "ops", output: "", params: 0))
                index[node.scope] = rows.count - 1
                return rows.count - 1
            }()
            if node.op == "param" {
                if node.attributes["trainable"] != .bool(false) { rows[i].params += graph[node.outputs[0]].type.elementCount() }
            } else if let last = node.outputs.last {
                rows[i].output = graph[last].type.description
            }
        }
        // A block's own glue ops (an add, a relu) make no row of their own.
        return rows.filter { $0.layer != "ops" || $0.params > 0 }
    }

    /// `61,706`
    func grouped(_ n: Int) -> String { Formatting.grouped(n) }

    func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var v = Double(n) / 1024, u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return ModelSummary.fixed(v, 1) + " " + units[u]
    }

    /// `1.23 MFLOP`
    static func si(_ n: Int) -> String {
        let units: [(Double, String)] = [(1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")]
        for (scale, name) in units where Double(n) >= scale { return fixed(Double(n) / scale, 2) + " " + name }
        return "\(n) FLOP"
    }

    /// A number with a fixed count of decimals, without Foundation's formatter.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }
}

/// `--emit=shapes`: every named value with its type and where it was defined.
public struct ShapeTable {
    public let graph: Graph

    public init(graph: Graph) { self.graph = graph }

    public func render() -> String {
        var rows: [(String, String, String)] = []
        var seen = Set<String>()
        for node in graph.nodes {
            for v in node.outputs {
                let value = graph[v]
                guard let name = value.name, seen.insert(name).inserted else { continue }
                rows.append((name, value.type.description, location(value.location)))
            }
        }
        let w0 = rows.map(\.0.count).max() ?? 0, w1 = rows.map(\.1.count).max() ?? 0
        var out = "model \(graph.name)\n"
        for (n, t, l) in rows { out += "  \(n.padding(w0))  \(t.padding(w1))  \(l)\n" }
        return out
    }

    func location(_ r: SourceRange) -> String {
        guard let f = r.file else { return "" }
        let (l, c) = f.lineAndColumn(of: r.start)
        return "\(l):\(c)"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
