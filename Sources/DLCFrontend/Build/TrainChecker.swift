import DLCCore

/// A checked `train` section: which model, its settings and its steps (`dlc train` runs
/// them, `dlc compile` checks and prints them).
public struct TrainSection {
    public var name: String
    /// The model trained, when the section is named after one (otherwise steps name models).
    public var model: String?
    public var settings: [String: TrainValue]
    public var steps: [(name: String, models: [String])]
    /// The graph of each step's objective, by step name: the models it calls inlined, their
    /// parameters named `Model.param` (shared by every call), those of models outside the
    /// step's `over` list not trainable, and the objective as the graph's only loss.
    public var stepGraphs: [String: Graph] = [:]
    /// The static arguments of the model trained (`model MLP(hidden: Int = 128)`): name and type.
    public var staticArguments: [(name: String, type: String)] = []
    /// The checked `sweep:` setting, when there is one.
    public var sweep: SweepSpec?

    /// A section as the checker makes it.
    public init(name: String, model: String?, settings: [String: TrainValue], steps: [(name: String, models: [String])]) {
        self.name = name
        self.model = model
        self.settings = settings
        self.steps = steps
    }
}

/// Checks a train section against `TrainSchema`: known keys, value kinds and ranges, known
/// models, losses and steps. Reports every problem.
struct TrainChecker {
    let decl: TrainDecl
    let models: [Graph]
    let registry: Registry
    let diagnostics: DiagnosticEngine
    /// The plugins the file `use`s (settings of other plugins are refused).
    let usedPlugins: Set<String>
    /// The static arguments of each model, by model name.
    let staticArguments: [String: [BlockParam]]

    init(decl: TrainDecl, models: [Graph], registry: Registry, diagnostics: DiagnosticEngine, usedPlugins: Set<String> = [],
         staticArguments: [String: [BlockParam]] = [:]) {
        self.decl = decl
        self.models = models
        self.registry = registry
        self.diagnostics = diagnostics
        self.usedPlugins = usedPlugins
        self.staticArguments = staticArguments
    }

    func model(_ name: String) -> Graph? { models.first { $0.name == name } }

    mutating func check() -> TrainSection? {
        let target = model(decl.name)
        if target == nil && decl.steps.isEmpty {
            let hint = closestName(to: decl.name, among: models.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            diagnostics.error("train section names unknown model '\(decl.name)'\(hint)", at: decl.nameRange)
        }
        var section = TrainSection(name: decl.name, model: target?.name, settings: [:], steps: [])
        if let target {
            section.staticArguments = (staticArguments[target.name] ?? []).map { ($0.name, $0.typeName ?? "Tensor") }
        }
        var seen: [String: SourceRange] = [:]
        let keyNames = TrainSchema.keys.map(\.0)
        for s in decl.settings {
            if let first = seen[s.key] {
                diagnostics.error("setting '\(s.key)' is given twice", at: s.keyRange, notes: [.note("first given here", at: first)])
                continue
            }
            seen[s.key] = s.keyRange
            guard let kind = TrainSchema.keys.first(where: { $0.0 == s.key })?.1 else {
                let hint = closestName(to: s.key, among: keyNames).map { "; did you mean '\($0)'?" } ?? ""
                diagnostics.error("unknown train setting '\(s.key)'\(hint)", at: s.keyRange)
                continue
            }
            if let plugin = TrainSchema.pluginOfKey[s.key], !usedPlugins.contains(plugin) {
                diagnostics.error("setting '\(s.key)' is provided by plugin '\(plugin)'; add 'use \(plugin)' at the top of the file", at: s.keyRange)
                continue
            }
            if TrainSchema.pluginOfKey[s.key] != nil, !decl.steps.isEmpty {
                diagnostics.error("setting '\(s.key)' applies to a section that trains one model, not to one with steps", at: s.keyRange)
                continue
            }
            if let v = check(s.value, kind, what: "setting '\(s.key)'", graph: target) { section.settings[s.key] = v }
        }
        var stepNames: [String: SourceRange] = [:]
        for step in decl.steps {
            if let first = stepNames[step.name] {
                diagnostics.error("step '\(step.name)' is declared twice", at: step.nameRange, notes: [.note("first declared here", at: first)])
            }
            stepNames[step.name] = step.nameRange
            checkObjective(step.objective)
            for m in step.over where model(m.name) == nil {
                diagnostics.error("step '\(step.name)' minimizes over unknown model '\(m.name)'", at: m.range)
            }
            section.steps.append((step.name, step.over.map(\.name)))
        }
        if let setting = decl.settings.first(where: { $0.key == "schedule" }), case .list(let items, _) = setting.value {
            let declared = decl.steps.map(\.name)
            for case .name(let n, let r) in items where stepNames[n] == nil {
                let hint = closestName(to: n, among: declared).map { "; did you mean '\($0)'?" }
                    ?? (declared.isEmpty ? "; the section declares no steps" : " (steps: \(declared.joined(separator: ", ")))")
                diagnostics.error("schedule names unknown step '\(n)'\(hint)", at: r)
            }
        }
        if let setting = decl.settings.first(where: { $0.key == "sweep" }), section.settings["sweep"] != nil {
            section.sweep = checkSweep(setting.value, section: section)
        }
        if target != nil, section.settings["loss"] == nil, let g = target, g.losses.count > 1 {
            diagnostics.error("model '\(g.name)' declares \(g.losses.count) losses; choose one with 'loss: NAME'", at: decl.nameRange)
        }
        return section
    }

    /// Objectives call models by name (`bce(D(G(z)), 1)`): every callee must be a model, an op
    /// or a layer, and a model is called with one argument per input. Other names in an
    /// objective stand for data fed at training time.
    func checkObjective(_ e: Expr) {
        switch e {
        case .call(let callee, let r, let args, let range):
            if let g = model(callee) {
                let inputs = g.inputNodes.compactMap { $0.attributes["name"]?.stringValue }
                if args.count != inputs.count {
                    diagnostics.error("model '\(callee)' takes \(inputs.count) input\(inputs.count == 1 ? "" : "s") (\(inputs.joined(separator: ", "))), given \(args.count)",
                                      at: range)
                }
            } else if registry.ops[callee] == nil && registry.layers[callee] == nil {
                let candidates = models.map(\.name) + Array(registry.ops.keys)
                let hint = closestName(to: callee, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
                diagnostics.error("unknown model or op '\(callee)' in objective\(hint)", at: r)
            }
            args.forEach { checkObjective($0.value) }
        case .binary(_, let a, let b, _, _): checkObjective(a); checkObjective(b)
        case .negate(let a, _), .not(let a, _): checkObjective(a)
        case .pipe(let a, let b, _): checkObjective(a); checkObjective(b)
        default: break
        }
    }

    /// Reads a literal setting value.
    func literal(_ e: Expr) -> TrainValue? {
        switch e {
        case .int(let v, _): return .value(.int(v))
        case .float(let v, _): return .value(.float(v))
        case .string(let s, _): return .value(.string(s))
        case .bool(let b, _): return .value(.bool(b))
        case .name(let n, _): return .value(.symbol(n))
        case .negate(.int(let v, _), _): return .value(.int(-v))
        case .negate(.float(let v, _), _): return .value(.float(-v))
        case .list(let xs, _):
            let items = xs.compactMap(literal)
            return items.count == xs.count ? .list(items) : nil
        case .call(let n, _, let args, _):
            var named: [String: TrainValue] = [:]
            for a in args {
                guard let v = literal(a.value) else { return nil }
                named[a.label ?? "_\(named.count)"] = v
            }
            return .call(n, named)
        case .error: return nil
        default:
            diagnostics.error("settings must be literal values, names, lists or calls", at: e.range)
            return nil
        }
    }

    func check(_ e: Expr, _ kind: SettingKind, what: String, graph: Graph?) -> TrainValue? {
        guard let v = literal(e) else { return nil }
        return check(v, e, kind, what: what, graph: graph) ? v : nil
    }

    func check(_ v: TrainValue, _ e: Expr, _ kind: SettingKind, what: String, graph: Graph?) -> Bool {
        func fail(_ expected: String) -> Bool {
            diagnostics.error("\(what) must be \(expected), found \(v)", at: e.range)
            return false
        }
        switch kind {
        case .int(let min):
            guard case .value(.int(let i)) = v else { return fail("an integer") }
            return i >= min ? true : fail("at least \(min)")
        case .number(let lo, let hi, let incLo, let incHi):
            guard case .value(let s) = v, let d = s.doubleValue else { return fail("a number") }
            let okLo = incLo ? d >= lo : d > lo, okHi = incHi ? d <= hi : d < hi
            if okLo && okHi { return true }
            let l = incLo ? "[" : "(", r = incHi ? "]" : ")"
            return fail("a number in \(l)\(StaticValue.format(lo)), \(StaticValue.format(hi))\(r)".replacingInf())
        case .bool:
            guard case .value(.bool) = v else { return fail("true or false") }
            return true
        case .string:
            guard case .value(let s) = v, s.stringValue != nil else { return fail("a string") }
            return true
        case .anyValue:
            return true
        case .name(let of, let allowed):
            guard case .value(let s) = v, let n = s.stringValue else { return fail("a \(of) name") }
            if allowed.contains(n) { return true }
            let hint = closestName(to: n, among: allowed).map { "; did you mean '\($0)'?" } ?? " (one of \(allowed.joined(separator: ", ")))"
            diagnostics.error("unknown \(of) '\(n)'\(hint)", at: e.range)
            return false
        case .list(let inner):
            guard case .list(let items) = v, case .list(let exprs, _) = e else { return fail("a list") }
            var ok = true
            for (item, ie) in zip(items, exprs) where !check(item, ie, inner, what: "each item of \(what)", graph: graph) { ok = false }
            return ok
        case .lossName:
            guard case .value(let s) = v, let n = s.stringValue else { return fail("the name of a loss") }
            guard let graph, !graph.losses.contains(where: { $0.name == n }) else { return true }
            let names = graph.losses.map(\.name)
            let hint = closestName(to: n, among: names).map { "; did you mean '\($0)'?" }
                ?? (names.isEmpty ? "; it declares no loss" : " (it declares: \(names.joined(separator: ", ")))")
            diagnostics.error("model '\(graph.name)' has no loss '\(n)'\(hint)", at: e.range)
            return false
        case .stepNames:
            guard case .list(let items) = v, items.allSatisfy({ if case .value(.symbol) = $0 { true } else { false } }) else {
                return fail("a list of step names")
            }
            return true
        case .call(let of, let schemas):
            guard case .call(let name, let args) = v, case .call(_, let nameRange, let argExprs, _) = e else {
                return fail("a \(of) such as \(schemas[0].name)(...)")
            }
            guard let schema = schemas.first(where: { $0.name == name }) else {
                let names = schemas.map(\.name)
                let hint = closestName(to: name, among: names).map { "; did you mean '\($0)'?" } ?? " (one of \(names.joined(separator: ", ")))"
                diagnostics.error("unknown \(of) '\(name)'\(hint)", at: nameRange)
                return false
            }
            var ok = true
            for a in argExprs where a.label == nil {
                diagnostics.error("arguments of '\(name)' must be named, e.g. \(name)(\(schema.args.first?.name ?? "x"): ...)", at: a.range)
                ok = false
            }
            for a in argExprs {
                guard let label = a.label, let av = args[label] else { continue }
                guard let spec = schema.args.first(where: { $0.name == label }) else {
                    if schema.open { continue }
                    let hint = closestName(to: label, among: schema.args.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                    diagnostics.error("'\(name)' has no argument '\(label)'\(hint)", at: a.labelRange ?? a.range)
                    ok = false
                    continue
                }
                if !check(av, a.value, spec.kind, what: "argument '\(label)' of '\(name)'", graph: graph) { ok = false }
            }
            for spec in schema.args where spec.required && args[spec.name] == nil {
                diagnostics.error("'\(name)' needs argument '\(spec.name)'", at: e.range)
                ok = false
            }
            return ok
        }
    }
}

extension String {
    fileprivate func replacingInf() -> String {
        replacing("inf]", with: "∞)").replacing("[-inf", with: "(-∞")
    }
}
