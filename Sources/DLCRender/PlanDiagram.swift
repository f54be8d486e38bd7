// The `plan` stage: the execution plan as a diagram. Each kernel step is a node numbered in
// execution order; each intermediate is an edge from the step that writes it to the steps that
// read it, labelled with its buffer, type, arena offset and size; buffers that occupy the same
// arena bytes at different times (the memory planner's reuse, in-place steps) share an edge
// colour and name each other. Parameters and constants hang off the steps that read them.
import DLCCore

extension Diagram {
    /// Builds the diagram of an execution plan.
    public static func build(plan: PlanSketch, options: RenderOptions = RenderOptions(), title: DiagramTitle? = nil) -> Diagram {
        PlanDiagramBuilder(plan: plan, options: options).build(title: title)
    }
}

/// Edge colours of the groups of buffers that share arena bytes.
let sharedMemoryColors = ["#1f77b4", "#d35400", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b"]

struct PlanDiagramBuilder {
    let plan: PlanSketch
    let options: RenderOptions

    func build(title: DiagramTitle?) -> Diagram {
        var d = Diagram(name: plan.name, title: title, options: options, expandDepth: 0)
        let root = plan.buffers.indices.map(rootBuffer)
        let sharing = sharedGroups(root: root)
        var families = Set<OpFamily>()

        // Ports and steps, in execution order; `writer[root]` is the node that last wrote a buffer.
        var writer: [Int: String] = [:]
        for (k, port) in plan.inputs.enumerated() {
            let id = "in\(k)"
            d.nodes.append(Diagram.Node(id: id, kind: .input, title: port.name, lines: [plan.buffers[port.buffer].type], family: .source))
            d.root.items.append(.node(id))
            writer[root[port.buffer]] = id
        }
        let readers = readerCounts(root: root)
        var stateNodes: [Int: String] = [:]  // persistent buffers read by several steps: one node each
        var seen = Set<String>()
        for (i, step) in plan.steps.enumerated() {
            let id = "k\(i)"
            var lines: [String] = []
            if !step.scope.isEmpty { lines.append(step.scope) }
            if let detail = step.detail { lines.append(detail) }
            lines.append("\(step.kernel) kernel" + (step.inPlace ? " · in place" : "") + (step.oncePerState ? " · once per state" : ""))
            d.nodes.append(Diagram.Node(id: id, kind: .op, title: "\(i) · \(step.op)", lines: lines, family: step.family))
            d.root.items.append(.node(id))
            families.insert(step.family)

            var own: [(name: String, type: String)] = []
            for b in step.inputs {
                let r = root[b], buffer = plan.buffers[b]
                if buffer.region == .state || buffer.region == .constant, plan.buffers[r].region != .arena {
                    guard options.showParams else { continue }
                    if readers[r, default: 0] <= 1 {
                        own.append((persistentName(b), persistentDetail(b)))
                        continue
                    }
                    let from = stateNodes[r] ?? {
                        let sid = "b\(r)"
                        d.nodes.append(Diagram.Node(id: sid, kind: .param, title: persistentName(r), lines: [persistentDetail(r)], family: .source))
                        d.root.items.append(.node(sid))
                        stateNodes[r] = sid
                        return sid
                    }()
                    if seen.insert("\(from)>\(id)").inserted {
                        d.edges.append(Diagram.Edge(from: from, to: id, label: nil, isParameter: true))
                    }
                    continue
                }
                guard let from = writer[r], seen.insert("\(b)>\(id)").inserted else { continue }
                d.edges.append(edge(from: from, to: id, buffer: b, sharing: sharing))
            }
            if !own.isEmpty {
                var pn = Diagram.Node(id: "p\(i)", kind: .params, title: "", lines: [], family: .source)
                pn.rows = own
                d.nodes.append(pn)
                d.root.items.append(.node(pn.id))
                d.edges.append(Diagram.Edge(from: pn.id, to: id, label: nil, isParameter: true))
            }
            for b in step.outputs { writer[root[b]] = id }
        }

        // Outputs, losses and state updates.
        func sink(_ port: PlanSketch.Port, kind: Diagram.Kind, id: String, title: String) {
            guard let from = writer[root[port.buffer]] else { return }
            d.nodes.append(Diagram.Node(id: id, kind: kind, title: title, lines: [], family: nil))
            d.root.items.append(.node(id))
            d.edges.append(edge(from: from, to: id, buffer: port.buffer, sharing: sharing))
        }
        for (k, p) in plan.outputs.enumerated() { sink(p, kind: .output, id: "out\(k)", title: "output " + p.name) }
        for (k, p) in plan.losses.enumerated() { sink(p, kind: .loss, id: "loss\(k)", title: "loss " + p.name) }
        for (k, p) in plan.updates.enumerated() { sink(p, kind: .update, id: "upd\(k)", title: "update " + p.name) }

        d.families = familyPriority.filter { families.contains($0) && $0 != .source }
        if options.showParams, d.nodes.contains(where: { $0.kind == .params || $0.kind == .param }) { d.families.append(.source) }
        return d
    }

    /// The buffer whose bytes a view stands on (itself for a buffer that is not a view).
    func rootBuffer(_ b: Int) -> Int {
        var r = b, hops = 0
        while let v = plan.buffers[r].viewOf, v != r, hops < plan.buffers.count { r = v; hops += 1 }
        return r
    }

    /// How many steps read each persistent (state or constant) root buffer.
    func readerCounts(root: [Int]) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for step in plan.steps {
            for r in Set(step.inputs.map { root[$0] }) { counts[r, default: 0] += 1 }
        }
        return counts
    }

    /// Arena buffers (roots) whose bytes other buffers reuse at another time: the colour of
    /// their place (one per distinct offset, so a reused slot is easy to follow) and the
    /// buffers they overlap.
    func sharedGroups(root: [Int]) -> [Int: (color: Int, others: [Int])] {
        let arena = Set(root.filter { plan.buffers[$0].region == .arena && plan.buffers[$0].bytes > 0 }).sorted()
        var overlapping: [Int: [Int]] = [:]
        for (k, a) in arena.enumerated() {
            let lo = plan.buffers[a].offset, hi = lo + plan.buffers[a].bytes
            for b in arena[(k + 1)...] where plan.buffers[b].offset < hi && lo < plan.buffers[b].offset + plan.buffers[b].bytes {
                overlapping[a, default: []].append(b)
                overlapping[b, default: []].append(a)
            }
        }
        let offsets = Set(overlapping.keys.map { plan.buffers[$0].offset }).sorted()
        let colorOf = Dictionary(uniqueKeysWithValues: offsets.enumerated().map { ($1, $0 % sharedMemoryColors.count) })
        return overlapping.mapValues { _ in (0, []) }.reduce(into: [:]) { out, entry in
            out[entry.key] = (colorOf[plan.buffers[entry.key].offset]!, overlapping[entry.key]!.sorted())
        }
    }

    /// An intermediate's edge: `b5 f32[1, 6, 28, 28] @0 +18,816 B`, coloured by its sharing group.
    func edge(from: String, to: String, buffer b: Int, sharing: [Int: (color: Int, others: [Int])]) -> Diagram.Edge {
        let buf = plan.buffers[b]
        let r = rootBuffer(b)
        var label = "b\(b) \(buf.type)"
        switch buf.region {
        case .arena: label += " @\(Formatting.grouped(plan.buffers[r].offset)) +\(Formatting.grouped(buf.bytes)) B"
        default: label += " (\(buf.region.rawValue))"
        }
        if r != b { label += " view of b\(r)" }
        var e = Diagram.Edge(from: from, to: to, label: label)
        if let s = sharing[r] {
            let names = s.others.prefix(3).map { "b\($0)" }.joined(separator: ", ")
                + (s.others.count > 3 ? " +\(s.others.count - 3) more" : "")
            e.label = label + " · shares with " + names
            e.color = sharedMemoryColors[s.color]
        }
        return e
    }

    func persistentName(_ b: Int) -> String {
        let buf = plan.buffers[b]
        if buf.region == .constant, let c = buf.constant { return StaticValue.format(c) }
        return buf.name
    }

    /// `f32[6, 1, 5, 5] · state @0`
    func persistentDetail(_ b: Int) -> String {
        let buf = plan.buffers[b]
        return "\(buf.type) · \(buf.region.rawValue) @\(Formatting.grouped(buf.offset))"
    }
}
