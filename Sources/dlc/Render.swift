import ArgumentParser
import DLCCore
import DLCDriver
import struct DLCFrontend.TrainSection
import DLCRender
#if canImport(Glibc)
import Glibc
#endif

extension RenderStage: ExpressibleByArgument {}
extension RankDir: ExpressibleByArgument {}

/// `dlc render FILE.dlg -o OUT.svg`: draw a model through libgraphviz.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a model as a diagram (SVG, PNG, PDF, or DOT text) through Graphviz.",
        discussion: """
            The format follows the output file's extension. Scopes (blocks, layers with several ops) \
            are clusters; those nested deeper than --expand are collapsed into one node each (by \
            default, the deepest level that keeps the diagram under 160 nodes). Stages: source (the \
            model as written), train (forward, backward and updates), fused (after the execution \
            passes; each fused kernel a cluster of its ops), plan (the kernel steps in execution \
            order with each buffer's arena offset and size; buffers sharing bytes share a colour).
            Exit status: 0 when the diagram is written, 1 when the file has errors, 2 for usage \
            errors (unknown format, stage or option, unreadable input, unwritable output).
            """)

    @Argument(help: "The .dlg file to draw.")
    var file: String

    @Option(name: .shortAndLong, help: "The output file: .svg, .png, .pdf or .dot.")
    var output: String

    @Option(help: "The model to draw (needed when the file has several).")
    var model: String?

    @Option(help: "What to draw: \(RenderStage.allCases.map(\.rawValue).joined(separator: ", ")).")
    var stage: RenderStage = .source

    @Option(help: "Show scopes nested up to this depth; deeper ones become one node each.")
    var expand: Int?

    @Option(help: "Direction of flow: TB (top to bottom) or LR (left to right).")
    var rankdir: RankDir = .TB

    @Option(help: "Draw a step of a train section with steps (`step d: minimize … over …`): its objective graph, at any stage.")
    var step: String?

    @Option(help: "The batch size (every symbolic dimension) of the plan drawn by --stage plan.")
    var batch = 1

    @Flag(name: .customLong("no-params"), help: "Hide parameter and constant nodes.")
    var noParams = false

    @Option(help: "Colour diagnostics: auto, always, never.")
    var color: ColorMode = .auto

    func validate() throws {
        guard OutputFormat(path: output) != nil else {
            let ext = output.split(separator: "/").last.flatMap { $0.contains(".") ? $0.split(separator: ".").last : nil }
            throw ValidationError("unknown output format \(ext.map { "'.\($0)'" } ?? "(no extension)") in '\(output)'; "
                + "use .svg, .png, .pdf or .dot")
        }
        if let expand, expand < 0 { throw ValidationError("--expand must be 0 or more") }
        if batch < 1 { throw ValidationError("--batch must be 1 or more") }
        if batch != 1 && stage != .plan { throw ValidationError("--batch applies to --stage plan only") }
    }

    func run() throws {
        let registry = standardRegistry()
        let format = OutputFormat(path: output)!
        let source = try loadSource(file)
        let result = Compiler(registry: registry).compile(source, options: CompileOptions(
            emit: .shapes, model: model, colors: color.enabled))
        FileHandle.standardError.write(result.diagnosticsText)
        if result.status != 0 { throw ExitCode(result.status) }
        var stepSection: TrainSection?
        let chosen: Graph?
        if let step {
            let sections = result.trainSections.filter { $0.stepGraphs[step] != nil }
            guard let section = sections.first else {
                let names = result.trainSections.flatMap { $0.steps.map(\.name) }
                let hint = closestName(to: step, among: names).map { "; did you mean '\($0)'?" }
                    ?? (names.isEmpty ? " (it has no train section with steps)" : " (steps: \(names.joined(separator: ", ")))")
                FileHandle.standardError.write("error: \(file) has no training step '\(step)'\(hint)\n")
                throw ExitCode(1)
            }
            stepSection = section
            chosen = section.stepGraphs[step]
        } else {
            chosen = result.graphs.first
        }
        guard let graph = chosen else {
            FileHandle.standardError.write("error: \(file) declares no model to draw\n")
            throw ExitCode(1)
        }
        if step == nil, result.graphs.count > 1 {
            FileHandle.standardError.write("error: \(file) has \(result.graphs.count) models "
                + "(\(result.graphs.map(\.name).joined(separator: ", "))); choose one with --model\n")
            throw ExitCode(2)
        }

        let options = RenderOptions(stage: stage, expandDepth: expand, rankdir: rankdir, showParams: !noParams)
        let renderer = Renderer(registry: registry, options: options)
        // The title's figures are the model's (forward) ones, taken before any transformation.
        var title = DiagramSupport.title(graph, registry: registry)
        var annotations = DiagramAnnotations()
        var plan: PlanSketch?
        do {
            switch stage {
            case .source: break
            case .train:
                annotations = try DiagramSupport.trainingStep(graph, sections: result.trainSections, registry: registry,
                                                               config: stepSection.map(TrainConfig.init))
                title.note = "training step (gradients dashed red)"
            case .fused:
                let kernels = try DiagramSupport.fuse(graph, registry: registry)
                title.note = "optimized for execution: \(kernels) fused kernel\(kernels == 1 ? "" : "s")"
            case .plan:
                let sketch = try DiagramSupport.planSketch(graph, registry: registry, batch: batch)
                title.note = DiagramSupport.planNote(sketch)
                plan = sketch
            }
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(1)
        }
        do {
            let bytes = try plan.map { try renderer.render(plan: $0, format: format, title: title) }
                ?? renderer.render(graph, format: format, title: title, annotations: annotations)
            try AtomicFile.write(bytes, to: output)
        } catch let e as RenderError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(2)
        } catch let e as DLCError {  // the output could not be written
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(2)
        }
    }
}
