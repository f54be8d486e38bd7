import DLCCore
import DLCCPU
import DLCTraining
import DLCFrontend
import DLCOps
import DLCPasses
import DLCRender
import DLCResNet
import DLCAttention
import DLCTransfer

/// What `dlc compile` prints.
public enum EmitKind: String, CaseIterable, Sendable {
    /// Per-model summary: interface, parameter count, FLOPs, memory.
    case summary
    /// The syntax tree.
    case ast
    /// The graph IR after the pipeline.
    case ir
    /// Every named value with its type.
    case shapes
    /// The diagram of each model in Graphviz's DOT language (what `dlc render` draws).
    case dot
    /// The training step as one graph: forward, loss, backward, optimizer updates.
    case train
    /// The execution plan: steps, buffers, arena offsets (`--batch`, `--train`).
    case plan
    /// The graph that is lowered for execution, after fusion (the training step with `--train`).
    case fused
}

/// Options of one compilation.
public struct CompileOptions: Sendable {
    public var emit: EmitKind = .summary
    /// Print the graph after each of these passes.
    public var printAfter: [String] = []
    /// Only this model (all when nil).
    public var model: String?
    /// Colour diagnostics (on a terminal).
    public var colors = false
    /// The batch size (every symbolic dimension) of `--emit=plan`.
    public var batch = 1
    /// `--emit=plan` of the training step instead of inference.
    public var trainingPlan = false
    /// Passes skipped wherever a pipeline would run them (`--disable-pass`).
    public var disabledPasses: Set<String> = []
    /// Values replacing the defaults of models' static arguments, by model and argument name.
    public var modelArguments: [String: [String: StaticValue]] = [:]

    public init(emit: EmitKind = .summary, printAfter: [String] = [], model: String? = nil, colors: Bool = false,
                batch: Int = 1, trainingPlan: Bool = false) {
        self.emit = emit
        self.printAfter = printAfter
        self.model = model
        self.colors = colors
        self.batch = batch
        self.trainingPlan = trainingPlan
    }
}

/// The outcome of a compilation: what goes to stdout, the diagnostics text for stderr,
/// and the exit status (0 success, 1 errors in the input).
public struct CompileResult {
    public var output: String
    public var diagnosticsText: String
    public var diagnostics: [Diagnostic]
    public var graphs: [Graph]
    public var trainSections: [TrainSection]
    public var status: Int32
}

/// The compiler pipeline as a library: parse, elaborate, run passes, print what was asked.
/// `dlc compile` is a thin shell around it; tests call it in-process.
public struct Compiler {
    public let registry: Registry

    public init(registry: Registry) { self.registry = registry }

    /// A registry with the built-in ops, layers and passes installed.
    public static func standardRegistry() -> Registry {
        let r = Registry()
        installStandardPlugins(into: r)
        return r
    }

    /// Installs the built-in plugins (idempotent).
    public static func installStandardPlugins(into r: Registry) {
        do {
            try r.installIfNeeded(builtinPlugin)
            try r.installIfNeeded(standardPassesPlugin)
            try r.installIfNeeded(resnetPlugin)
            try r.installIfNeeded(attentionPlugin)
            try r.installIfNeeded(transferPlugin)
        } catch {
            fatalError("the built-in plugins do not install: \(error)")
        }
    }

    /// Compiles a source text.
    public func compile(_ file: SourceFile, options: CompileOptions = CompileOptions()) -> CompileResult {
        let diags = DiagnosticEngine()
        var out = ""
        let unit = Parser.parse(file, diagnostics: diags)
        if options.emit == .ast { out += ASTPrinter().print(unit) }

        var pipeline: PassManager?
        do {
            for name in options.printAfter where registry.passes[name] == nil {
                _ = try PassManager(names: [name], registry: registry)
            }
            // A pass outside the standard pipeline that --print-after names (e.g. `autodiff`)
            // runs after it, so that its result can be printed.
            // The execution passes (fusion) run where a graph is prepared for lowering.
            let extra = options.printAfter.filter { !Pipelines.standard.contains($0) && !Pipelines.inference.contains($0) }
            for name in options.disabledPasses where registry.passes[name] == nil {
                _ = try PassManager(names: [name], registry: registry)
            }
            pipeline = try PassManager(names: (Pipelines.standard + extra.reduce(into: []) { if !$0.contains($1) { $0.append($1) } })
                                           .filter { !options.disabledPasses.contains($0) },
                                       registry: registry)
        } catch let e as DLCError {
            diags.error(e.message, at: .unknown)
        } catch {}

        let elaboration = Elaborator(unit: unit, registry: registry, diagnostics: diags, modelArguments: options.modelArguments).run()
        var graphs = elaboration.graphs
        if let only = options.model {
            graphs = graphs.filter { $0.name == only }
            if graphs.isEmpty && !diags.hasErrors {
                let names = elaboration.graphs.map(\.name)
                let hint = closestName(to: only, among: names).map { "; did you mean '\($0)'?" }
                    ?? (names.isEmpty ? "" : " (models: \(names.joined(separator: ", ")))")
                diags.error("no model named '\(only)' in \(file.path)\(hint)", at: .unknown)
            }
        }
        if !diags.hasErrors, let pipeline {
            let context = PassContext(registry: registry, diagnostics: diags)
            for g in graphs {
                pipeline.run(on: g, context: context) { pass, graph in
                    if options.printAfter.contains(pass) {
                        out += "// after \(pass)\n" + GraphPrinter().print(graph)
                    }
                }
                if ![.train, .plan, .fused].contains(options.emit), options.printAfter.contains(where: { Pipelines.inference.contains($0) && !Pipelines.standard.contains($0) }) {
                    out += runExecutionPasses(g, options: options, diagnostics: diags)
                }
            }
        }
        if !diags.hasErrors {
            switch options.emit {
            case .summary:
                out += graphs.map { ModelSummary(graph: $0, registry: registry).render() }.joined(separator: "\n")
                let names = Set(graphs.map(\.name))
                for t in elaboration.trainSections where options.model == nil || t.model.map(names.contains) == true {
                    out += "\n" + TrainSummary(section: t).render()
                }
            case .ir: out += graphs.map { GraphPrinter().print($0) }.joined(separator: "\n")
            case .shapes: out += graphs.map { ShapeTable(graph: $0).render() }.joined(separator: "\n")
            case .dot: out += graphs.map { DiagramSupport.dot($0, registry: registry) }.joined(separator: "\n")
            case .train, .plan, .fused:
                // Without --model, a section with steps is lowered step by step (each step's
                // training graph); its models alone have no loss to train.
                let stepSections = options.model == nil ? elaboration.trainSections.filter { !$0.steps.isEmpty } : []
                if options.emit == .train && !stepSections.isEmpty {
                    out += stepSections.flatMap { section in
                        section.steps.compactMap { step in
                            section.stepGraphs[step.name].flatMap {
                                lowered($0, sections: elaboration.trainSections, options: options, diagnostics: diags, section: section)
                            }
                        }
                    }.joined(separator: "\n")
                } else {
                    out += graphs.compactMap { lowered($0, sections: elaboration.trainSections, options: options, diagnostics: diags) }
                        .joined(separator: "\n")
                }
            case .ast: break
            }
        }
        let sorted = diags.sorted
        let text = DiagnosticFormatter(colors: options.colors).format(sorted, dropped: diags.droppedErrors)
        return CompileResult(output: out, diagnosticsText: text, diagnostics: sorted, graphs: graphs,
                             trainSections: elaboration.trainSections, status: diags.hasErrors ? 1 : 0)
    }

    /// Runs `Pipelines.execution` (fusion) on a graph about to be lowered for training, or
    /// `Pipelines.inference` for inference, printing after the passes `--print-after` names.
    func runExecutionPasses(_ graph: Graph, options: CompileOptions, diagnostics: DiagnosticEngine) -> String {
        let names = Pipelines.forExecution(inference: !options.trainingPlan).filter { !options.disabledPasses.contains($0) }
        guard let pm = try? PassManager(names: names, registry: registry) else { return "" }
        var out = ""
        pm.run(on: graph, context: PassContext(registry: registry, diagnostics: diagnostics)) { pass, g in
            // Passes of the standard pipeline print there (once), not again here.
            if options.printAfter.contains(pass), !Pipelines.standard.contains(pass) { out += "// after \(pass)\n" + GraphPrinter().print(g) }
        }
        return out
    }

    /// `--emit=train` and `--emit=plan`: the training step's graph, or a plan of the model
    /// (or of its training step) for the batch size asked for.
    /// `section`: the section with steps `graph` is a step of (its settings apply; the graph's
    /// only loss is the step's objective).
    func lowered(_ graph: Graph, sections: [TrainSection], options: CompileOptions, diagnostics: DiagnosticEngine,
                 section: TrainSection? = nil) -> String? {
        do {
            if options.emit == .train || options.trainingPlan {
                var config = (section ?? sections.first { $0.model == graph.name }).map(TrainConfig.init) ?? TrainConfig()
                if section != nil { config.training.loss = nil }
                _ = try TrainingGraph.build(graph, options: try config.trainingOptions(for: graph), registry: registry)
                VerifyPass().run(on: graph, context: PassContext(registry: registry, diagnostics: diagnostics))
                if options.emit == .train { return GraphPrinter().print(graph) }
            }
            var printed = runExecutionPasses(graph, options: options, diagnostics: diagnostics)
            if diagnostics.hasErrors { return nil }
            if options.emit == .fused { return printed + GraphPrinter().print(graph) }
            var bindings: [String: Int] = [:]
            for node in graph.inputNodes {
                for case .symbol(let s) in graph[node.outputs[0]].type.shape { bindings[s] = options.batch }
            }
            let plan = try ExecutionPlan.build(graph, bindings: bindings, registry: registry, training: options.trainingPlan)
            printed += PlanPrinter().print(plan)
            return printed
        } catch let e as DLCError {
            diagnostics.error(e.message, at: graph.location)
        } catch {
            diagnostics.error("\(error)", at: graph.location)
        }
        return nil
    }
}
