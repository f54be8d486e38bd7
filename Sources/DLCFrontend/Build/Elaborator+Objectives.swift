import DLCCore

/// The state of the elaborator while it builds a train step's objective.
struct ObjectiveContext {
    /// The file's models by name: calling one inlines its graph.
    var models: [String: Graph]
    /// The models whose parameters the step trains (its `over` list).
    var over: Set<String>
    /// The parameters created so far, by their name in the step's graph (`Model.param`).
    var parameters: [String: ValueID] = [:]
    /// The models the objective has called.
    var called: Set<String> = []
}

extension Elaborator {
    /// The output of a step's graph that holds the logits of a classification objective.
    public static let predictionOutput = "prediction"

    /// Builds the graph of `step NAME: minimize EXPR over M, …`: the objective is evaluated
    /// like an expression in a model body, where a call of a model inlines that model's graph
    /// (its output, or the tuple of its outputs, is the call's value). Names in the objective that are passed directly
    /// to a model become inputs of the step's graph with that model input's type (the data
    /// fed to them at training time). Returns nil after reporting an error.
    func elaborateObjective(_ step: TrainStep, section: String, models graphs: [Graph]) -> Graph? {
        let byName = Dictionary(graphs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let graph = Graph(name: "\(section).\(step.name)", location: step.nameRange)
        begin(graph)
        naming = nil
        returned = nil
        // The size symbols of the models' inputs (`N`) may be used in the objective too,
        // e.g. random_normal([N, 16]).
        for g in graphs {
            for node in g.inputNodes {
                for case .symbol(let s) in g[node.outputs[0]].type.shape where symbols[s] == nil { symbols[s] = g.location }
            }
        }
        let errorsBefore = diagnostics.errorCount
        for (name, type, range) in dataNames(in: step.objective, models: byName) {
            bind(name, .tensor(builder.input(name: name, type: type, location: range)), at: range)
        }
        guard diagnostics.errorCount == errorsBefore else { return nil }

        objective = ObjectiveContext(models: byName, over: Set(step.over.map(\.name)))
        defer { objective = nil }
        let value = eval(step.objective)
        let called = objective?.called ?? []
        guard diagnostics.errorCount == errorsBefore else { return nil }
        let range = step.objective.range
        guard case .tensor(let loss) = value else {
            if !value.isPoisoned {
                diagnostics.error("the objective of step '\(step.name)' must be a scalar tensor, found \(value.phrase)", at: range)
            }
            return nil
        }
        guard loss.type.rank == 0, loss.type.dtype.isFloat else {
            diagnostics.error("the objective of step '\(step.name)' must be a floating-point scalar, found \(loss.type); reduce it with mean(...) or sum(...)",
                              at: range)
            return nil
        }
        for m in step.over where !called.contains(m.name) {
            diagnostics.error("step '\(step.name)' minimizes over model '\(m.name)', but its objective does not call it", at: m.range)
        }
        guard diagnostics.errorCount == errorsBefore else { return nil }
        graph.losses = [NamedValue(name: step.name, value: loss.id, location: range)]
        // A classification objective (its last op is cross_entropy) exposes its logits, so
        // the step can be evaluated for accuracy.
        let last = graph.producer(of: loss.id)
        if last.op == "cross_entropy", graph[last.inputs[1]].type.dtype.isInteger {
            graph.outputs = [NamedValue(name: Self.predictionOutput, value: last.inputs[0], location: range)]
        }
        return graph
    }

    /// `phases: [phase(schedule: [a, b], epochs: 5), …]`: each phase names declared steps,
    /// and the section has no `schedule` or `epochs` of its own (the phases give both).
    func checkPhases(_ t: TrainDecl) {
        guard let setting = t.settings.first(where: { $0.key == "phases" }), case .list(let phases, _) = setting.value else { return }
        let declared = t.steps.map(\.name)
        if declared.isEmpty {
            diagnostics.error("'phases' schedule steps, but the section declares no steps", at: setting.keyRange)
        }
        for other in t.settings where other.key == "schedule" || other.key == "epochs" {
            diagnostics.error("'\(other.key)' cannot be given with 'phases' (each phase has its schedule and epochs)", at: other.keyRange,
                              notes: [.note("phases given here", at: setting.keyRange)])
        }
        for case .call(_, _, let args, _) in phases {
            for a in args where a.label == "schedule" {
                guard case .list(let items, _) = a.value else { continue }
                for case .name(let n, let r) in items where !declared.contains(n) && !declared.isEmpty {
                    let hint = closestName(to: n, among: declared).map { "; did you mean '\($0)'?" } ?? " (steps: \(declared.joined(separator: ", ")))"
                    diagnostics.error("phase names unknown step '\(n)'\(hint)", at: r)
                }
            }
        }
    }

    /// The names an objective passes directly to a model (`Discriminator(real)`), with the
    /// type of the model input each one takes. A name given to inputs of different types is
    /// an error.
    func dataNames(in e: Expr, models: [String: Graph]) -> [(String, TensorType, SourceRange)] {
        var found: [(String, TensorType, SourceRange)] = []
        func visit(_ e: Expr) {
            switch e {
            case .call(let callee, _, let args, _):
                if let g = models[callee] {
                    let inputs = g.inputNodes
                    for (i, a) in args.enumerated() {
                        guard case .name(let n, let r) = a.value, models[n] == nil else { continue }
                        let node = a.label.flatMap { l in inputs.first { $0.attributes["name"]?.stringValue == l } }
                            ?? (a.label == nil && i < inputs.count ? inputs[i] : nil)
                        guard let node else { continue }  // reported when the call is elaborated
                        let type = g[node.outputs[0]].type
                        if let previous = found.first(where: { $0.0 == n }) {
                            if previous.1 != type {
                                diagnostics.error("'\(n)' is passed to inputs of different types, \(previous.1) and \(type)", at: r,
                                                  notes: [.note("first passed here", at: previous.2)])
                            }
                            continue
                        }
                        found.append((n, type, r))
                    }
                }
                args.forEach { visit($0.value) }
            case .binary(_, let a, let b, _, _), .pipe(let a, let b, _): visit(a); visit(b)
            case .negate(let a, _), .not(let a, _), .index(let a, _, _): visit(a)
            case .list(let xs, _), .tuple(let xs, _): xs.forEach(visit)
            case .ifElse(let c, let a, let b, _): visit(c); visit(a); visit(b)
            default: break
            }
        }
        visit(e)
        return found
    }

    /// A call of a model in an objective: binds the arguments to the model's inputs (by
    /// position or by input name; each must have the input's exact type) and copies the nodes
    /// its outputs depend on into the step's graph. The value is the model's output, or the
    /// tuple of its outputs in declaration order when it has several (`RBM(v)[1]`). Its parameters are created once per
    /// step graph, as `Model.param`; a model outside the step's `over` list gets them
    /// non-trainable.
    func inlineModel(_ model: Graph, calleeRange: SourceRange, args: [CallArg], range: SourceRange) -> EvalValue {
        let inputs = model.inputNodes.map { (name: $0.attributes["name"]?.stringValue ?? "?", value: $0.outputs[0]) }
        guard !model.outputs.isEmpty else {
            diagnostics.error("model '\(model.name)' declares no output, so an objective cannot call it", at: calleeRange)
            return .poison
        }
        var bound: [ValueID: Tensor] = [:]
        var ok = true
        for (i, a) in args.enumerated() {
            let slot: (name: String, value: ValueID)?
            if let label = a.label {
                slot = inputs.first { $0.name == label }
                if slot == nil {
                    let hint = closestName(to: label, among: inputs.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                    diagnostics.error("model '\(model.name)' has no input '\(label)'\(hint)", at: a.labelRange ?? a.range)
                }
            } else {
                slot = i < inputs.count ? inputs[i] : nil
            }
            guard let slot else { ok = false; continue }
            if bound[slot.value] != nil {
                diagnostics.error("input '\(slot.name)' of model '\(model.name)' is given twice", at: a.range)
                ok = false
                continue
            }
            let want = model[slot.value].type
            switch a.value {
            case .tensor(let t) where t.type == want:
                bound[slot.value] = t
            case .tensor(let t):
                diagnostics.error("input '\(slot.name)' of model '\(model.name)' is \(want), but the argument is \(t.type)", at: a.range)
                ok = false
            case .constant(.symbol(let s)) where symbols[s] == nil:
                reportUnknownName(s, at: a.range)
                ok = false
            case .poison:
                ok = false
            default:
                diagnostics.error("input '\(slot.name)' of model '\(model.name)' must be given a tensor \(want), found \(a.value.phrase)", at: a.range)
                ok = false
            }
        }
        if args.count != inputs.count {
            diagnostics.error("model '\(model.name)' takes \(inputs.count) input\(inputs.count == 1 ? "" : "s") (\(inputs.map(\.name).joined(separator: ", "))), given \(args.count)",
                              at: range)
            ok = false
        }
        guard ok else { return .poison }
        objective?.called.insert(model.name)

        // The nodes the output depends on, in the model's (topological) order.
        var needed = Set<Int>()
        var work = model.outputs.map { model.producer(of: $0.value).id.index }
        while let n = work.popLast() {
            guard needed.insert(n).inserted else { continue }
            for v in model.nodes[n].inputs { work.append(model[v].producer.index) }
        }
        let trains = objective?.over.contains(model.name) ?? false
        // The copies sit in the model's scope (`Generator.h`), as their parameters are named.
        func scope(_ s: String) -> String { s.isEmpty ? model.name : model.name + "." + s }
        var map: [ValueID: ValueID] = [:]
        let graph = builder.graph
        for node in model.nodes where needed.contains(node.id.index) {
            switch node.op {
            case "input":
                map[node.outputs[0]] = bound[node.outputs[0]]!.id
            case "param":
                let name = model.name + "." + (node.attributes["name"]?.stringValue ?? "?")
                if let shared = objective?.parameters[name] {
                    map[node.outputs[0]] = shared
                    continue
                }
                var attributes = node.attributes
                attributes["name"] = .string(name)
                if !trains { attributes["trainable"] = .bool(false) }
                let copy = graph.addNode(op: "param", inputs: [], outputTypes: [model[node.outputs[0]].type], attributes: attributes,
                                         location: node.location, scope: scope(node.scope), layer: node.layer, names: [name])
                map[node.outputs[0]] = copy.outputs[0]
                objective?.parameters[name] = copy.outputs[0]
            default:
                let copy = graph.addNode(op: node.op, inputs: node.inputs.map { map[$0]! },
                                         outputTypes: node.outputs.map { model[$0].type }, attributes: node.attributes,
                                         location: node.location, scope: scope(node.scope), layer: node.layer,
                                         names: node.outputs.map { model[$0].name })
                for (a, b) in zip(node.outputs, copy.outputs) { map[a] = b }
            }
        }
        if graph.nodes.count > Elaborator.maxNodes {
            diagnostics.error("the objective expands to more than \(Elaborator.maxNodes) nodes", at: range)
            return .poison
        }
        let values = model.outputs.map { EvalValue.tensor(builder.tensor(map[$0.value]!)) }
        return values.count == 1 ? values[0] : .tuple(values)
    }
}
