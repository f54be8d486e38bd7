import DLCCore

/// A graph laid out for drawing, before it becomes DOT text: visible nodes (graph nodes, or
/// whole scopes collapsed into one), the edges between them, and the nesting of clusters.
public struct Diagram {
    public enum Kind: Equatable {
        case input, op, param, constant, collapsed, output, loss, update
        /// The parameters and constants of one op, one row each.
        case params
    }

    public struct Node {
        /// The DOT identifier (`n12`, `s4`, `out0`).
        public var id: String
        public var kind: Kind
        /// Bold first line.
        public var title: String
        /// Further lines, smaller.
        public var lines: [String]
        /// `.params` nodes: name and type of each parameter.
        public var rows: [(name: String, type: String)] = []
        public var family: OpFamily?
        /// Part of the backward pass or optimizer (train stage).
        public var isTraining: Bool = false
        /// The loss a training step minimizes.
        public var isTrainedLoss: Bool = false
    }

    public struct Edge {
        public var from: String
        public var to: String
        /// The tensor type, when the edge carries a value worth labelling.
        public var label: String?
        public var isGradient: Bool = false
        /// Parameter edges are drawn light.
        public var isParameter: Bool = false
        /// An explicit colour (the plan stage's groups of buffers sharing memory).
        public var color: String? = nil
        /// A value one time step of an unrolled recurrence hands to the next (drawn looping
        /// back into the cell, which is drawn once).
        public var isRecurrence: Bool = false
    }

    /// A labelled cluster: a scope with more than one visible op.
    public final class Cluster {
        public let scope: String
        public var label: String
        /// Node ids and sub-clusters in order of first appearance.
        public var items: [Item] = []
        init(scope: String, label: String) {
            self.scope = scope
            self.label = label
        }
    }

    public enum Item {
        case node(String)
        case cluster(Cluster)
    }

    public var name: String
    public var nodes: [Node] = []
    public var edges: [Edge] = []
    public var root = Cluster(scope: "", label: "")
    /// The families used, in legend order.
    public var families: [OpFamily] = []
    public var title: DiagramTitle?
    public var options: RenderOptions
    /// The expansion depth used (the automatic one when `options.expandDepth` is nil).
    public var expandDepth: Int
    /// Graph nodes not drawn because an identical earlier time step of an unrolled
    /// recurrence draws them: ops, and parameters or constants.
    public var foldedOps = 0
    public var foldedParams = 0

    /// Number of nodes Graphviz draws (graph-label legends are not nodes).
    public var nodeCount: Int { nodes.count }

    /// Every cluster, depth first.
    public var clusters: [Cluster] {
        var out: [Cluster] = []
        func walk(_ c: Cluster) {
            for case .cluster(let s) in c.items {
                out.append(s)
                walk(s)
            }
        }
        walk(root)
        return out
    }
}

extension Diagram {
    /// Builds the diagram of a graph. `registry` supplies op families and attribute defaults.
    public static func build(_ graph: Graph, registry: Registry, options: RenderOptions = RenderOptions(),
                             title: DiagramTitle? = nil, annotations: DiagramAnnotations = DiagramAnnotations()) -> Diagram {
        let maxDepth = graph.nodes.map { $0.scope.isEmpty ? 0 : scopeComponents($0.scope).count }.max() ?? 0
        let folding = StepFolding.find(in: graph)
        if let d = options.expandDepth {
            return DiagramBuilder(graph: graph, registry: registry, options: options, title: title,
                                  annotations: annotations, depth: max(0, min(d, maxDepth)), folding: folding).build()
        }
        var depth = maxDepth
        while depth > 0 {
            let d = DiagramBuilder(graph: graph, registry: registry, options: options, title: title,
                                   annotations: annotations, depth: depth, folding: folding).build()
            if d.nodeCount <= options.autoNodeLimit { return d }
            depth -= 1
        }
        return DiagramBuilder(graph: graph, registry: registry, options: options, title: title,
                              annotations: annotations, depth: 0, folding: folding).build()
    }

    /// `x.0.a` → `[x, 0, a]`.
    static func scopeComponents(_ scope: String) -> [Substring] {
        scope.split(separator: ".", omittingEmptySubsequences: false)
    }
}

/// Families in the order their colour wins when a collapsed scope mixes several.
let familyPriority: [OpFamily] = [
    .convolution, .matmul, .recurrent, .attention, .pooling, .normalization, .loss, .optimizer,
    .reduction, .dataMovement, .random, .activation, .elementwise, .other, .source,
]

struct DiagramBuilder {
    let graph: Graph
    let registry: Registry
    let options: RenderOptions
    let title: DiagramTitle?
    let annotations: DiagramAnnotations
    let depth: Int
    /// Time steps drawn by the first step of their recurrence.
    let folding: StepFolding

    /// Where a graph node is drawn: its own node, a collapsed scope, or nowhere.
    enum Slot: Hashable {
        case own(Int)
        case collapsed(String)
        /// The parameters used only by this op, drawn as one node.
        case params(Int)
        case hidden
    }

    func build() -> Diagram {
        var d = Diagram(name: graph.name, title: title, options: options, expandDepth: depth)
        let n = graph.nodes.count

        // 1. Each graph node's slot and the scope chain it sits in.
        var slots = [Slot](repeating: .hidden, count: n)
        var chains = [[String]](repeating: [], count: n)  // enclosing scope prefixes, outermost first
        for node in graph.nodes {
            let i = node.id.index
            if let group = annotations.groups[i] {
                let comps = node.scope.isEmpty ? [] : Diagram.scopeComponents(node.scope)
                slots[i] = .collapsed(group)
                chains[i] = prefixes(comps, upTo: min(comps.count, depth))
                continue
            }
            if isParamLike(node) && !options.showParams {
                // A hidden parameter still belongs to a collapsed scope (for its count), else nowhere.
                let comps = node.scope.isEmpty ? [] : Diagram.scopeComponents(node.scope)
                if comps.count > depth { slots[i] = .collapsed(comps[0...depth].joined(separator: ".")) }
                if case .collapsed = slots[i] {} else { slots[i] = .hidden }
                chains[i] = prefixes(comps, upTo: min(comps.count, depth))
                continue
            }
            let comps = node.scope.isEmpty ? [] : Diagram.scopeComponents(node.scope)
            if comps.count > depth {
                slots[i] = .collapsed(comps[0...depth].joined(separator: "."))
                chains[i] = prefixes(comps, upTo: depth)
            } else {
                slots[i] = .own(i)
                chains[i] = prefixes(comps, upTo: comps.count)
            }
        }
        // A folded time step is drawn by its first step's nodes.
        for (i, r) in folding.representative {
            slots[i] = slots[r]
            chains[i] = chains[r]
            if isParamLike(graph.nodes[i]) { d.foldedParams += 1 } else { d.foldedOps += 1 }
        }
        // Parameters used by one drawn op only are drawn together, beside it.
        var users = [Set<Int>](repeating: [], count: n)
        for node in graph.nodes {
            for v in node.inputs { users[graph[v].producer.index].insert(folding.drawn(node.id.index)) }
        }
        for node in graph.nodes where isParamLike(node) {
            let i = node.id.index
            guard case .own = slots[i], users[i].count == 1, let c = users[i].first, case .own = slots[c] else { continue }
            slots[i] = .params(c)
        }

        // 2. Visible ops under each scope prefix decide which prefixes become clusters.
        var visibleOps: [String: Set<Slot>] = [:]
        var groupMembers: [String: [Int]] = [:]
        for node in graph.nodes {
            let i = node.id.index
            if case .collapsed(let s) = slots[i], folding.representative[i] == nil { groupMembers[s, default: []].append(i) }
            guard slots[i] != .hidden, !isParamLike(node) else { continue }
            for p in chains[i] { visibleOps[p, default: []].insert(slots[i]) }
        }
        // A collapsed scope with a single op is drawn like that op.
        func isCluster(_ p: String) -> Bool { (visibleOps[p]?.count ?? 0) >= 2 }

        // 3. Nodes, placed into clusters in order of appearance.
        var clusterByScope: [String: Diagram.Cluster] = ["": d.root]
        var placed = Set<Slot>()
        var familiesSeen = Set<OpFamily>()
        var slotID: [Slot: String] = [:]
        var fused: [Int: FusedDrawing] = [:]  // fused_elementwise nodes drawn as clusters of their instructions

        func clusterFor(_ chain: [String]) -> (Diagram.Cluster, String) {
            var parent = d.root, scope = ""
            for p in chain where isCluster(p) {
                if let c = clusterByScope[p] {
                    parent = c
                } else {
                    let c = Diagram.Cluster(scope: p, label: clusterLabel(p, members: groupMembersUnder(p)))
                    parent.items.append(.cluster(c))
                    clusterByScope[p] = c
                    parent = c
                }
                scope = p
            }
            return (parent, scope)
        }
        func groupMembersUnder(_ p: String) -> [Int] {
            graph.nodes.lazy.filter { $0.scope == p || $0.scope.hasPrefix(p + ".") }.map(\.id.index)
        }

        for node in graph.nodes {
            let i = node.id.index
            let slot = slots[i]
            guard slot != .hidden, !placed.contains(slot) else { continue }
            // A hidden-param slot on its own never reaches here; a collapsed scope made only of
            // hidden parameters is skipped.
            if case .collapsed(let s) = slot, groupMembers[s]!.allSatisfy({ isParamLike(graph.nodes[$0]) }) && !options.showParams {
                continue
            }
            placed.insert(slot)
            let (cluster, inner) = clusterFor(chains[i])
            if case .own(let idx) = slot, let drawing = fusedDrawing(graph.nodes[idx]) {
                cluster.items.append(.cluster(drawing.cluster))
                d.nodes += drawing.nodes
                for n in drawing.nodes { if let f = n.family { familiesSeen.insert(f) } }
                d.edges += drawing.edges
                fused[idx] = drawing
                slotID[slot] = drawing.resultIDs[0]
                continue
            }
            var dn: Diagram.Node
            switch slot {
            case .own(let idx):
                dn = ownNode(graph.nodes[idx], innerScope: inner)
            case .collapsed(let s):
                if let label = annotations.groupLabels[s] {
                    dn = Diagram.Node(id: "s\(groupMembers[s]![0])", kind: .update, title: label.title, lines: [label.detail],
                                      family: .optimizer, isTraining: true)
                } else {
                    dn = collapsedNode(scope: s, members: groupMembers[s]!, innerScope: inner)
                }
            case .params(let c):
                dn = paramsNode(consumer: c, members: graph.nodes.filter { slots[$0.id.index] == slot }, innerScope: inner)
            case .hidden:
                continue
            }
            if let f = dn.family { familiesSeen.insert(f) }
            slotID[slot] = dn.id
            cluster.items.append(.node(dn.id))
            d.nodes.append(dn)
        }

        // 4. Edges between visible slots, once per (value, target).
        var seen = Set<String>()
        /// The visible node a value leaves from: its producer's slot, or the instruction of a
        /// fused kernel that computes it.
        func sourceID(of v: ValueID) -> String? {
            let producer = graph.producer(of: v)
            if let f = fused[producer.id.index], let k = producer.outputs.firstIndex(of: v) { return f.resultIDs[k] }
            return slotID[slots[producer.id.index]]
        }
        for node in graph.nodes {
            let to = slots[node.id.index]
            guard let toID = slotID[to] else { continue }
            for (position, v) in node.inputs.enumerated() {
                let producer = graph.producer(of: v)
                let from = slots[producer.id.index]
                guard let fromID = sourceID(of: v), from != to else { continue }
                let param: Bool
                switch from {
                case .params: param = true
                case .own(let k): param = isParamLike(graph.nodes[k])
                default: param = false
                }
                let targets = fused[node.id.index].map { $0.inputTargets[position] } ?? [toID]
                let recurrence = folding.isRecurrence(from: producer.id.index, to: node.id.index)
                let folded = folding.step[producer.id.index] != nil || folding.step[node.id.index] != nil
                for target in targets {
                    let key = param || folded ? "\(fromID)>\(target)>\(recurrence)" : "\(v.index)>\(target)"
                    guard seen.insert(key).inserted else { continue }
                    var edge = Diagram.Edge(from: fromID, to: target, label: param ? nil : graph[v].type.description,
                                            isGradient: annotations.gradientValues.contains(v), isParameter: param)
                    if recurrence {
                        edge.isRecurrence = true
                        edge.label = graph[v].type.description + " → next step"
                    }
                    d.edges.append(edge)
                }
            }
        }

        // 5. Outputs, losses and state updates as their own nodes.
        func sink(_ named: NamedValue, kind: Diagram.Kind, id: String, title: String) {
            guard let fromID = sourceID(of: named.value) else { return }
            var dn = Diagram.Node(id: id, kind: kind, title: title, lines: [], family: nil)
            dn.isTrainedLoss = annotations.trainedLoss == named.value && kind == .loss
            d.nodes.append(dn)
            d.root.items.append(.node(id))
            d.edges.append(Diagram.Edge(from: fromID, to: id, label: graph[named.value].type.description,
                                        isGradient: kind == .update))
        }
        for (k, o) in graph.outputs.enumerated() { sink(o, kind: .output, id: "out\(k)", title: "output " + o.name) }
        for (k, l) in graph.losses.enumerated() { sink(l, kind: .loss, id: "loss\(k)", title: "loss " + l.name) }
        for (k, u) in graph.updates.enumerated() {
            // An update computed inside a labelled group is drawn by the group's node.
            if case .collapsed(let s) = slots[graph[u.value].producer.index], annotations.groupLabels[s] != nil { continue }
            sink(u, kind: .update, id: "upd\(k)", title: "update " + u.name)
        }
        d.edges = mergeParallelEdges(d.edges, nodes: d.nodes)

        d.families = familyPriority.filter { familiesSeen.contains($0) && $0 != .source }
        if familiesSeen.contains(.source) { d.families.append(.source) }
        return d
    }

    // MARK: - Nodes

    func isParamLike(_ node: DLCCore.Node) -> Bool { node.op == "param" || node.op == "constant" }

    func family(_ node: DLCCore.Node) -> OpFamily {
        if node.op == "input" || node.op == "param" || node.op == "constant" { return .source }
        return registry.ops[node.op]?.family ?? .other
    }

    func isTraining(_ node: DLCCore.Node) -> Bool {
        guard let f = annotations.forwardNodeCount else { return false }
        return node.id.index >= f
    }

    /// `c1.weight` inside scope `c1` → `weight`.
    func relative(_ name: String, to scope: String) -> String {
        if scope.isEmpty { return name }
        if name.hasPrefix(scope + ".") { return String(name.dropFirst(scope.count + 1)) }
        return name
    }

    func ownNode(_ node: DLCCore.Node, innerScope: String) -> Diagram.Node {
        let id = "n\(node.id.index)"
        let out = node.outputs.first.map { graph[$0] }
        switch node.op {
        case "input":
            let name = node.attributes["name"]?.stringValue ?? out?.name ?? "input"
            return Diagram.Node(id: id, kind: .input, title: name, lines: ["input"], family: .source,
                                isTraining: isTraining(node))
        case "param":
            let name = node.attributes["name"]?.stringValue ?? "param"
            var lines = [out?.type.description ?? ""]
            if node.attributes["trainable"] == .bool(false) { lines.append("state") }
            return Diagram.Node(id: id, kind: .param, title: relative(name, to: innerScope), lines: lines,
                                family: .source, isTraining: isTraining(node))
        case "constant":
            var lines: [String] = []
            if let v = node.attributes["value"] { lines.append(short(v)) }
            lines.append(out?.type.description ?? "")
            return Diagram.Node(id: id, kind: .constant, title: "constant", lines: lines, family: .source,
                                isTraining: isTraining(node))
        default:
            let scopeTitle = node.scope == innerScope ? "" : relative(node.scope, to: innerScope)
            var title = node.op, lines: [String] = []
            if !scopeTitle.isEmpty {
                title = scopeTitle
                if (node.layer ?? node.op) != title { lines.append(node.layer ?? node.op) }
            }
            let attrs = keyAttributes(node)
            if !attrs.isEmpty { lines.append(attrs) }
            return Diagram.Node(id: id, kind: .op, title: title, lines: lines, family: family(node),
                                isTraining: isTraining(node))
        }
    }

    func paramsNode(consumer: Int, members: [DLCCore.Node], innerScope: String) -> Diagram.Node {
        var dn = Diagram.Node(id: "p\(consumer)", kind: .params, title: "", lines: [], family: .source,
                              isTraining: members.allSatisfy(isTraining))
        // Named relative to the op's own scope when they share it (`weight`, not `x.0.a.conv2d.weight`).
        let scope = graph.nodes[consumer].scope
        for m in members {
            let type = graph[m.outputs[0]].type.description
            if m.op == "constant" {
                dn.rows.append((m.attributes["value"].map(short) ?? "constant", type))
            } else {
                let name = m.attributes["name"]?.stringValue ?? "param"
                let rel = m.scope == scope ? relative(name, to: scope) : relative(name, to: innerScope)
                dn.rows.append((rel, type + (m.attributes["trainable"] == .bool(false) ? " (state)" : "")))
            }
        }
        return dn
    }

    func collapsedNode(scope: String, members: [Int], innerScope: String) -> Diagram.Node {
        let ops = members.map { graph.nodes[$0] }.filter { !isParamLike($0) }
        let params = members.map { graph.nodes[$0] }.filter { $0.op == "param" && $0.attributes["trainable"] != .bool(false) }
            .reduce(0) { $0 + graph[$1.outputs[0]].type.elementCount() }
        let title = relative(scope, to: innerScope)
        var lines: [String] = []
        var kind = Diagram.Kind.collapsed
        let fam: OpFamily
        if ops.count == 1 {
            // One op (and its parameters): drawn like the op, with the parameter count.
            let op = ops[0]
            kind = .op
            lines.append(op.layer ?? op.op)
            let attrs = keyAttributes(op)
            if !attrs.isEmpty { lines.append(attrs) }
            fam = family(op)
        } else {
            var layers: [String] = []
            for op in ops { if let l = op.layer, !layers.contains(l) { layers.append(l) } }
            let shown = layers.prefix(4).joined(separator: ", ") + (layers.count > 4 ? ", …" : "")
            if layers.count == 1 && ops.allSatisfy({ $0.layer == layers[0] }) {
                lines.append("\(layers[0]) (\(ops.count) ops)")
            } else {
                lines.append(layers.isEmpty ? "\(ops.count) ops" : "\(ops.count) ops: \(shown)")
            }
            let present = Set(ops.map(family))
            fam = familyPriority.first(where: present.contains) ?? .other
        }
        if params > 0 { lines.append("\(grouped(params)) params") }
        if let steps = folding.stepCount[scope] { lines.insert(stepPhrase(steps), at: 0) }
        let training = annotations.forwardNodeCount != nil && members.allSatisfy { isTraining(graph.nodes[$0]) }
        return Diagram.Node(id: "s\(members[0])", kind: kind, title: title, lines: lines, family: fam, isTraining: training)
    }

    /// The attributes that differ from the op's defaults, plus the kernel and filter count of
    /// a convolution (read from its weight): `6 filters 5×5, padding=2`.
    func keyAttributes(_ node: DLCCore.Node) -> String {
        var parts: [String] = []
        let fusedEpilogue = node.op == "fused_matmul" || node.op == "fused_convolution"
        if ["convolution", "conv_transpose", "fused_convolution"].contains(node.op), node.inputs.count > 1 {
            let w = graph[node.inputs[1]].type.shape
            if w.count >= 3 {
                let filters = node.op == "conv_transpose" ? w[1] : w[0]
                parts.append("\(filters) filters \(w.dropFirst(2).map(\.description).joined(separator: "×"))")
            }
        } else if node.op == "matmul" || node.op == "fused_matmul", node.layer == "dense",
                  let last = node.outputs.first.map({ graph[$0].type.shape.last }) ?? nil {
            parts.append(last == .known(1) ? "1 unit" : "\(last) units")
        }
        let spec = registry.ops[node.op]
        for (key, value) in node.attributes.sorted(by: { $0.key < $1.key }) {
            if ["name", "init", "trainable"].contains(key) { continue }
            if fusedEpilogue && key == "epilogue" { continue }
            if node.op == "fused_convolution" && key == "bias" { continue }  // drawn as the bias parameter's box
            if node.layer == "dense" && key.hasPrefix("transpose") { continue }  // how dense stores its weight
            if let def = spec?.signature.arg(named: key)?.defaultValue, def == value { continue }
            parts.append("\(key)=\(short(value))")
        }
        if fusedEpilogue { parts.append(epiloguePhrase(node)) }
        return parts.joined(separator: ", ")
    }

    /// A fused matmul's or convolution's epilogue in words: `then + bias, relu` (`+ residual`
    /// for an operand computed by the graph).
    func epiloguePhrase(_ node: DLCCore.Node) -> String {
        guard let steps = node.attributes["epilogue"]?.listValue else { return "" }
        let words = steps.compactMap { step -> String? in
            guard let parts = step.listValue, let kind = parts.first?.stringValue else { return nil }
            switch kind {
            case "add":
                guard let s = parts.dropFirst().first?.stringValue, let k = Int(s.dropFirst()), k < node.inputs.count else { return "+ …" }
                let p = graph.producer(of: node.inputs[k])
                let name = p.op == "param" ? relative(p.attributes["name"]?.stringValue ?? "bias", to: node.scope) : "residual"
                return "+ " + name
            case "scale": return "× " + (parts.dropFirst().first.map(short) ?? "c")
            case "relu_mask": return "× relu′"
            default: return kind
            }
        }
        return words.isEmpty ? "" : "then " + words.joined(separator: ", ")
    }

    func short(_ v: StaticValue) -> String {
        let s: String
        switch v {
        case .string(let x): s = x
        case .float(let x):
            let r = (x * 1e4).rounded() / 1e4
            s = r == x ? StaticValue.format(x) : String(r)
        default: s = v.description
        }
        return s.count > 40 ? String(s.prefix(39)) + "…" : s
    }

    func clusterLabel(_ scope: String, members: [Int]) -> String {
        if let steps = folding.stepCount[scope] {
            let layer = members.lazy.compactMap { self.graph.nodes[$0].layer }.first.map { " · \($0) cell" } ?? ""
            return "\(scope) · \(stepPhrase(steps))\(layer), drawn once"
        }
        // Named after its layer only when every op in it comes from one call of that layer.
        let ops = members.map { graph.nodes[$0] }.filter { !isParamLike($0) }
        guard let layer = ops.first?.layer, ops.allSatisfy({ $0.layer == layer && $0.scope == scope }) else { return scope }
        return "\(scope) · \(layer)"
    }

    /// `one time step of 8`, or `6 of 8 time steps` when the first and last differ.
    func stepPhrase(_ steps: (count: Int, total: Int)) -> String {
        steps.count == steps.total ? "one time step of \(steps.total)" : "\(steps.count) of \(steps.total) time steps"
    }

    func prefixes(_ comps: [Substring], upTo count: Int) -> [String] {
        var out: [String] = []
        var s = ""
        for (k, c) in comps.prefix(count).enumerated() {
            s += (k == 0 ? "" : ".") + c
            out.append(s)
        }
        return out
    }
}

/// `61,706`
func grouped(_ n: Int) -> String { Formatting.grouped(n) }
