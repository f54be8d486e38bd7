import DLCCore
import DLCRender
import DLCTraining
import DLCFrontend
import DLCCPU

/// The driver's side of diagrams: the title numbers DLCRender does not compute itself.
public enum DiagramSupport {
    /// Model name, trainable parameters and forward FLOPs per example, from `ModelSummary`.
    public static func title(_ graph: Graph, registry: Registry, note: String? = nil) -> DiagramTitle {
        DiagramTitle(model: graph.name, parameters: graph.trainableParameterCount,
                     flops: ModelSummary(graph: graph, registry: registry).flops, note: note)
    }

    /// The source-stage DOT text of a graph with default options (`dlc compile --emit=dot`).
    public static func dot(_ graph: Graph, registry: Registry, options: RenderOptions = RenderOptions()) -> String {
        Renderer(registry: registry, options: options).dot(graph, title: title(graph, registry: registry))
    }
}

extension DiagramSupport {
    /// Turns `graph` into its training step in place (as `dlc compile --emit=train` does) and
    /// returns what the `train` diagram marks: the nodes the transformation added, the
    /// backward values (gradients and everything computed towards them), the loss minimized.
    public static func trainingStep(_ graph: Graph, sections: [TrainSection], registry: Registry,
                                    config given: TrainConfig? = nil) throws -> DiagramAnnotations {
        let forward = graph.nodes.count
        let config = given ?? sections.first { $0.model == graph.name }.map(TrainConfig.init) ?? TrainConfig()
        let step = try TrainingGraph.build(graph, options: try config.trainingOptions(for: graph), registry: registry)
        // Backward values: the gradients and, walking back through the added nodes, what they come from.
        var backward = Set(step.gradients.values)
        for node in graph.nodes[forward...].reversed() where node.outputs.contains(where: backward.contains) {
            for v in node.inputs where graph[v].producer.index >= forward { backward.insert(v) }
        }
        var annotations = DiagramAnnotations(forwardNodeCount: forward, gradientValues: backward, trainedLoss: step.loss)
        optimizerGroups(graph, forward: forward, backward: backward, into: &annotations)
        return annotations
    }

    /// The optimizer's ops grouped by the parameter they update (with its moments), so that
    /// the `train` diagram draws one `update c1.weight` node per parameter instead of every
    /// multiply and add. Ops shared by several parameters (the step counter, a bias
    /// correction) stay nodes of their own.
    static func optimizerGroups(_ graph: Graph, forward: Int, backward: Set<ValueID>, into a: inout DiagramAnnotations) {
        var owner: [Int: String] = [:]
        var shared = Set<Int>()
        var stateKinds: [String: [String]] = [:]
        for update in graph.updates {
            // `optimizer.momentum.c1.weight` belongs with `c1.weight`.
            var key = update.name
            let parts = update.name.split(separator: ".", maxSplits: 2).map(String.init)
            if parts.count == 3, parts[0] == "optimizer" {
                key = parts[2]
                stateKinds[key, default: []].append(parts[1])
            }
            var stack = [graph[update.value].producer.index]
            var seen = Set<Int>()
            while let i = stack.popLast() {
                guard i >= forward, seen.insert(i).inserted else { continue }
                let node = graph.nodes[i]
                if node.outputs.contains(where: backward.contains) { continue }
                if let o = owner[i], o != key { shared.insert(i) } else { owner[i] = key }
                stack += node.inputs.map { graph[$0].producer.index }
            }
        }
        for i in shared { owner[i] = nil }
        var members: [String: [Int]] = [:]
        for (i, key) in owner { members[key, default: []].append(i) }
        for (key, nodes) in members where nodes.contains(where: { !["param", "constant"].contains(graph.nodes[$0].op) }) {
            let group = "update " + key
            for i in nodes { a.groups[i] = group }
            let ops = nodes.sorted().map { graph.nodes[$0].op }.filter { $0 != "param" && $0 != "constant" }
            var names: [String] = []
            for op in ops where !names.contains(op) { names.append(op) }
            var detail = "\(ops.count) op\(ops.count == 1 ? "" : "s"): " + names.prefix(4).joined(separator: ", ")
                + (names.count > 4 ? ", …" : "")
            if let kinds = stateKinds[key] { detail += " · state: " + kinds.joined(separator: ", ") }
            a.groupLabels[group] = (group, detail)
        }
    }
}

extension DiagramSupport {
    /// Runs the execution pipeline (fusion) on `graph` in place, as the CPU back end sees it
    /// before lowering, for the `fused` diagram. Returns the number of fused kernels (fused
    /// elementwise groups, their multi-segment merges, matmuls and convolutions with their
    /// epilogues).
    @discardableResult
    public static func fuse(_ graph: Graph, registry: Registry, disabled: Set<String> = []) throws -> Int {
        try ExecutionPasses.run(graph, registry: registry, disabled: disabled, inference: true)
        return graph.nodes.filter { ["fused_elementwise", "fused_elementwise_multi", "fused_matmul", "fused_convolution"].contains($0.op) }
            .count
    }

    /// The execution plan of `graph` (inference, every symbolic dimension bound to `batch`)
    /// after the execution pipeline, in the form the `plan` diagram draws.
    public static func planSketch(_ graph: Graph, registry: Registry, batch: Int = 1,
                                  disabled: Set<String> = []) throws -> PlanSketch {
        try ExecutionPasses.run(graph, registry: registry, disabled: disabled, inference: true)
        var bindings: [String: Int] = [:]
        for node in graph.inputNodes {
            for case .symbol(let s) in graph[node.outputs[0]].type.shape { bindings[s] = batch }
        }
        let plan = try ExecutionPlan.build(graph, bindings: bindings, registry: registry, training: false)
        return sketch(plan, graph: graph, registry: registry)
    }

    /// An `ExecutionPlan` reduced to what DLCRender draws.
    public static func sketch(_ plan: ExecutionPlan, graph: Graph, registry: Registry) -> PlanSketch {
        let constants = Dictionary(plan.constants.map { ($0.buffer, $0.value) }, uniquingKeysWith: { a, _ in a })
        let buffers = plan.buffers.enumerated().map { i, b in
            PlanSketch.Buffer(name: b.name, type: "\(b.dtype)[\(b.shape.map(String.init).joined(separator: ", "))]",
                              region: PlanSketch.Region(rawValue: "\(b.region)") ?? .arena, offset: b.offset,
                              bytes: b.bytes, viewOf: b.viewOf, constant: constants[i])
        }
        let steps = plan.steps.map { s in
            let node = s.node >= 0 && s.node < graph.nodes.count ? graph.nodes[s.node] : nil
            let program = node.flatMap { n -> FusedProgram? in
                switch n.op {
                case "fused_elementwise": return try? FusedProgram(attributes: n.attributes)
                case "fused_elementwise_multi": return (try? FusedMultiLayout(n.attributes, operands: n.inputs.count))?.program
                default: return nil
                }
            }
            return PlanSketch.Step(kernel: s.kernel.rawValue, op: s.op, family: registry.ops[s.op]?.family ?? .other,
                                   scope: node?.scope ?? "", inputs: s.inputs, outputs: s.outputs, inPlace: s.inPlace,
                                   oncePerState: s.stateDerived, detail: program.map { p in p.instructions.map(\.op).joined(separator: " → ") })
        }
        func ports(_ ps: [PlanPort]) -> [PlanSketch.Port] { ps.map { PlanSketch.Port(name: $0.name, buffer: $0.buffer) } }
        return PlanSketch(name: plan.name, bindings: plan.bindings, training: plan.training, steps: steps, buffers: buffers,
                          inputs: ports(plan.inputs), outputs: ports(plan.outputs), losses: ports(plan.losses),
                          updates: plan.updates.map { PlanSketch.Port(name: plan.state[$0.slot].name, buffer: $0.source) },
                          arenaBytes: plan.arenaBytes, naiveBytes: plan.naiveBytes)
    }

    /// `execution plan, N=1: 14 steps, arena 52,160 B (40% of 130,000 B without reuse)`
    public static func planNote(_ plan: PlanSketch) -> String {
        var s = "execution plan"
        if !plan.bindings.isEmpty {
            s += ", " + plan.bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
        s += ": \(plan.steps.count) steps, arena \(Formatting.grouped(plan.arenaBytes)) B"
        if plan.naiveBytes > 0 {
            let pct = Int((Double(plan.arenaBytes) / Double(plan.naiveBytes) * 100).rounded())
            s += " (\(pct)% of \(Formatting.grouped(plan.naiveBytes)) B without reuse)"
        }
        return s
    }
}

extension DiagramSupport {
    /// The source-stage SVG diagram of a model of a file, titled with its figures (what
    /// `dlc render FILE --model M -o x.svg` draws): `dlc train` writes it into each run
    /// directory and `dlc report` inlines it.
    /// - Throws: `DLCError` when the file does not compile or Graphviz fails.
    public static func svg(_ source: SourceFile, model: String, registry: Registry) throws -> [UInt8] {
        let result = Compiler(registry: registry).compile(source, options: CompileOptions(emit: .shapes, model: model))
        guard result.status == 0, let graph = result.graphs.first else {
            throw DLCError("cannot draw model '\(model)' of \(source.path): it does not compile")
        }
        do {
            return try Renderer(registry: registry).render(graph, format: .svg, title: title(graph, registry: registry))
        } catch let e as RenderError {
            throw DLCError("cannot draw model '\(model)' of \(source.path): \(e.message)")
        }
    }
}
