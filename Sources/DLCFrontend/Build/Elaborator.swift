import DLCCore

/// The result of elaborating a file: one graph per model, and the checked train sections.
public struct Elaboration {
    public var graphs: [Graph]
    public var trainSections: [TrainSection]
}

/// Turns a parsed file into typed graphs. It expands blocks, `repeat` and `if` at compile
/// time, binds calls to the signatures of layers and ops, names parameters after the
/// source (`fc1.weight`, `stage2.x.0.a.weight`) and checks every shape as it goes. An error
/// poisons the value it concerns, so each mistake is reported once and elaboration goes on.
public final class Elaborator {
    let registry: Registry
    let diagnostics: DiagnosticEngine
    let unit: SourceUnit
    var blocks: [String: BlockDecl] = [:]
    var models: [String: ModelDecl] = [:]
    var usedPlugins: Set<String> = []
    /// Values replacing the defaults of models' static arguments, by model name and argument
    /// name (a sweep's trial, `dlc train --set`).
    let modelArguments: [String: [String: StaticValue]]

    // State of the model being elaborated.
    var builder: GraphBuilder!
    var env: [String: Binding] = [:]
    var symbols: [String: SourceRange] = [:]
    var declaredAt: [ValueID: (name: String, range: SourceRange)] = [:]
    var naming: NamingContext?
    var iterationPath: [Int] = []
    var blockStack: [String] = []
    var returned: EvalValue?
    var inBlock: Bool { !blockStack.isEmpty }
    var expansionBudget = 0
    /// While a train step's objective is elaborated: the models it may call (inlined, see
    /// `Elaborator+Objectives.swift`), the models whose parameters it trains, and the
    /// parameters created so far (shared by every call of a model).
    var objective: ObjectiveContext?

    static let maxBlockDepth = 64
    static let maxRepeat = 10_000
    static let maxNodes = 2_000_000

    public init(unit: SourceUnit, registry: Registry, diagnostics: DiagnosticEngine,
                modelArguments: [String: [String: StaticValue]] = [:]) {
        self.unit = unit
        self.registry = registry
        self.diagnostics = diagnostics
        self.modelArguments = modelArguments
    }

    /// Elaborates every model of the file (after the file-level declarations are collected).
    public func run() -> Elaboration {
        collectDeclarations()
        var graphs: [Graph] = []
        for case .model(let m) in unit.declarations where models[m.name]?.nameRange == m.nameRange {
            graphs.append(elaborate(m))
        }
        var trains: [TrainSection] = []
        for case .train(let t) in unit.declarations {
            var checker = TrainChecker(decl: t, models: graphs, registry: registry, diagnostics: diagnostics, usedPlugins: usedPlugins,
                                       staticArguments: models.mapValues(\.params))
            let errorsBefore = diagnostics.errorCount
            guard var s = checker.check() else { continue }
            if diagnostics.errorCount == errorsBefore { checkPhases(t) }
            if diagnostics.errorCount == errorsBefore {
                for step in t.steps {
                    if let g = elaborateObjective(step, section: t.name, models: graphs) { s.stepGraphs[step.name] = g }
                }
            }
            trains.append(s)
        }
        return Elaboration(graphs: graphs, trainSections: trains)
    }

    func collectDeclarations() {
        var seen: [String: SourceRange] = [:]
        func claim(_ name: String, _ range: SourceRange, _ what: String) -> Bool {
            if let first = seen[name] {
                diagnostics.error("\(what) '\(name)' is declared twice", at: range,
                                  notes: [.note("'\(name)' was first declared here", at: first)])
                return false
            }
            seen[name] = range
            return true
        }
        for d in unit.declarations {
            switch d {
            case .use(let name, let range):
                if registry.isInstalled(name) {
                    usedPlugins.insert(name)
                } else {
                    let available = registry.plugins.filter { !$0.implicit }.map(\.name).sorted()
                    let hint = closestName(to: name, among: available).map { "; did you mean '\($0)'?" }
                        ?? (available.isEmpty ? "; no plugins are installed" : " (installed plugins: \(available.joined(separator: ", ")))")
                    diagnostics.error("unknown plugin '\(name)'\(hint)", at: range)
                }
            case .model(let m):
                if claim(m.name, m.nameRange, "model") {
                    checkParams(m.params, of: "model '\(m.name)'")
                    models[m.name] = m
                }
            case .block(let b):
                guard claim(b.name, b.nameRange, "block") else { continue }
                if let provider = registry.provider(of: b.name) {
                    diagnostics.error("block '\(b.name)' has the name of a \(registry.layers[b.name] != nil ? "layer" : "op") of plugin '\(provider)'; choose another name",
                                      at: b.nameRange)
                    continue
                }
                checkParams(b.params, of: "block '\(b.name)'")
                blocks[b.name] = b
            case .train:
                break
            }
        }
    }

    /// Checks the parameter list of a block or a model (`owner` names it in errors).
    func checkParams(_ params: [BlockParam], of owner: String) {
        var seen: [String: SourceRange] = [:]
        var sawDefault = false
        for p in params {
            if let first = seen[p.name] {
                diagnostics.error("parameter '\(p.name)' of \(owner) is declared twice", at: p.range,
                                  notes: [.note("first declared here", at: first)])
            }
            seen[p.name] = p.range
            if let t = p.typeName, BlockParamType(rawValue: t) == nil {
                let hint = closestName(to: t, among: BlockParamType.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
                diagnostics.error("unknown parameter type '\(t)'\(hint) (use Int, Float, Bool, String, List, Shape or Tensor)", at: p.range)
            }
            if p.defaultValue != nil { sawDefault = true } else if sawDefault {
                diagnostics.error("parameter '\(p.name)' without a default follows parameters with defaults", at: p.range)
            }
        }
    }

    /// Starts building `graph`: a builder for it and no names, symbols or blocks yet.
    func begin(_ graph: Graph) {
        builder = GraphBuilder(graph: graph, registry: registry)
        env = [:]
        symbols = [:]
        declaredAt = [:]
        iterationPath = []
        blockStack = []
        expansionBudget = 0
    }

    /// Builds the graph of one model.
    func elaborate(_ m: ModelDecl) -> Graph {
        let graph = Graph(name: m.name, location: m.nameRange)
        begin(graph)
        bindStaticArguments(of: m)
        execute(m.body)
        if graph.outputs.isEmpty && graph.losses.isEmpty && !diagnostics.hasErrors {
            diagnostics.warning("model '\(m.name)' declares no output and no loss", at: m.nameRange)
        }
        return graph
    }

    /// Binds a model's static arguments (`model MLP(hidden: Int = 128)`) to their defaults or
    /// to the values of `modelArguments`. Each must be a typed compile-time value with a
    /// default, since a model is compiled on its own.
    func bindStaticArguments(of m: ModelDecl) {
        let given = modelArguments[m.name] ?? [:]
        for name in given.keys.sorted() where !m.params.contains(where: { $0.name == name }) {
            let names = m.params.map(\.name)
            let hint = closestName(to: name, among: names).map { "; did you mean '\($0)'?" }
                ?? (names.isEmpty ? "; it declares none" : " (it declares: \(names.joined(separator: ", ")))")
            diagnostics.error("model '\(m.name)' has no static argument '\(name)'\(hint)", at: m.nameRange)
        }
        for p in m.params {
            env[p.name] = Binding(value: .poison, range: p.range)
            let type = p.typeName.flatMap(BlockParamType.init(rawValue:))
            guard p.typeName != nil, type != .Tensor else {
                diagnostics.error("parameter '\(p.name)' of model '\(m.name)' must be a compile-time value with a type (Int, Float, Bool, String, List or Shape); a model takes tensors with 'input'",
                                  at: p.range)
                continue
            }
            let value: EvalValue, range: SourceRange
            if let v = given[p.name] {
                (value, range) = (.constant(v), p.range)
            } else if let d = p.defaultValue {
                (value, range) = (eval(d), d.range)
            } else {
                diagnostics.error("parameter '\(p.name)' of model '\(m.name)' needs a default value (a model is compiled on its own)", at: p.range)
                continue
            }
            if value.isPoisoned { continue }
            guard let checked = checkBlockArg(value, param: p, block: m.name, range: range, owner: "model") else { continue }
            bind(p.name, checked, at: p.range)
        }
    }

    /// Binds a name in the current body, recording where tensors got their names.
    func bind(_ name: String, _ value: EvalValue, at range: SourceRange) {
        env[name] = Binding(value: value, range: range)
        if case .tensor(let t) = value, declaredAt[t.id] == nil || builder.graph.producer(of: t.id).op != "param" {
            declaredAt[t.id] = (name, range)
            // In a block, the value's name in the graph is qualified by the block's scope.
            if builder.graph[t.id].name == nil { builder.graph[t.id].name = builder.qualified(name) }
        }
    }

    /// A name that is free to be declared by `input`, `param`, `output` or `loss`.
    func checkFresh(_ name: String, _ range: SourceRange, _ what: String) -> Bool {
        if let b = env[name] {
            diagnostics.error("\(what) '\(name)' is already defined", at: range,
                              notes: [.note("'\(name)' was defined here", at: b.range)])
            return false
        }
        return true
    }
}

/// The types a block parameter may declare.
enum BlockParamType: String, CaseIterable {
    case Int, Float, Bool, String, List, Shape, Tensor
    case `Any`
}
