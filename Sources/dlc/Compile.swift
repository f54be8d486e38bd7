import ArgumentParser
import DLCCore
import DLCDriver
import DLCTransfer
import DLCReference
#if canImport(Glibc)
import Glibc
#endif

extension EmitKind: ExpressibleByArgument {}

/// `dlc compile FILE.dlg`: check a model file and print its summary or a compiler stage.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a .dlg file and print a summary of each model, or a compiler stage.",
        discussion: "Exit status: 0 when the file compiles, 1 when it has errors, 2 for usage errors.")

    @Argument(help: "The .dlg file to compile.")
    var file: String

    @Option(help: "What to print: \(EmitKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: EmitKind = .summary

    @Option(name: .customLong("print-after"), help: "Print the graph after this pass (repeatable).")
    var printAfter: [String] = []

    @Option(name: .customLong("disable-pass"), help: "Skip this pass wherever a pipeline runs it (repeatable).")
    var disablePass: [String] = []

    @Option(help: "Compile only this model of the file.")
    var model: String?

    @Option(help: "The batch size for --emit=plan (every symbolic dimension takes it).")
    var batch: Int = 1

    @Flag(name: .customLong("train"), help: "With --emit=plan or fused: the training step.")
    var trainingPlan = false

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Write the model's inference plan and initial (or --weights) weights to this .dlp file.")
    var output: String?

    @Option(help: "The seed of the initial weights written with -o.")
    var seed: Int = 0

    @Option(help: "With -o: load the weights from this file (.safetensors, .npz, a dlc checkpoint or run directory) instead of initializing them.")
    var weights: String?

    @Option(name: .customLong("strip-prefix"), help: "With --weights: remove this prefix from the file's tensor names.")
    var stripPrefix: String?

    @Option(help: "With --weights: rename tensors, PATTERN=REPLACEMENT (a regular expression; $1 is its first group; repeatable, applied in order).")
    var rename: [String] = []

    @Flag(help: "With --weights: load what matches and initialize the rest, instead of refusing any missing, unexpected or mismatched tensor.")
    var partial = false

    @Option(help: "Colour diagnostics: auto, always, never.")
    var color: ColorMode = .auto

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if trainingPlan && emit != .plan && emit != .fused { throw ValidationError("--train applies to --emit plan and --emit fused only") }
        if let output { try asUsage { try OutputPath.check(output) } }
        if weights != nil && output == nil { throw ValidationError("--weights applies to -o (the weights written with the plan)") }
        if weights == nil && (stripPrefix != nil || !rename.isEmpty || partial) {
            throw ValidationError("--strip-prefix, --rename and --partial apply to --weights")
        }
        for r in rename where !r.contains("=") || r.hasPrefix("=") {
            throw ValidationError("--rename takes PATTERN=REPLACEMENT, found '\(r)'")
        }
        let registry = standardRegistry()
        for pass in printAfter + disablePass where registry.passes[pass] == nil {
            let hint = closestName(to: pass, among: registry.passes.keys).map { "; did you mean '\($0)'?" } ?? ""
            throw ValidationError("unknown pass '\(pass)'\(hint) (passes: \(registry.passes.keys.sorted().joined(separator: ", ")))")
        }
    }

    func run() throws {
        let registry = standardRegistry()
        let source = try loadSource(file)
        var options = CompileOptions(
            emit: emit, printAfter: printAfter, model: model, colors: color.enabled, batch: batch, trainingPlan: trainingPlan)
        options.disabledPasses = Set(disablePass)
        let result = Compiler(registry: registry).compile(source, options: options)
        FileHandle.standardOutput.write(result.output)
        FileHandle.standardError.write(result.diagnosticsText)
        if result.status != 0 { throw ExitCode(result.status) }
        if let output { try export(result, to: output, registry: registry) }
    }

    /// `-o model.dlp`: the inference plan (batch 1; `dlc run` re-plans for other sizes) and
    /// freshly initialized weights.
    func export(_ result: CompileResult, to path: String, registry: Registry) throws {
        guard result.graphs.count == 1, let graph = result.graphs.first else {
            FileHandle.standardError.write("error: \(file) has \(result.graphs.count) models; choose the one to write with --model\n")
            throw ExitCode(2)
        }
        do {
            var weights = ParameterInitializer.initialize(graph, seed: UInt64(truncatingIfNeeded: seed))
            if let file = self.weights {
                // The last '=' separates the pattern from the replacement.
                let rules = rename.map { r -> [String] in
                    let i = r.lastIndex(of: "=")!
                    return [String(r[..<i]), String(r[r.index(after: i)...])]
                }
                let load = TransferSettings.WeightInit(path: file, stripPrefix: stripPrefix, renames: rules, strict: !partial)
                let report = try load.load(into: TransferSettings.parameters(of: graph), relativeTo: nil)
                FileHandle.standardError.write(report.render() + "\n")
                weights.merge(report.loaded) { $1 }
            }
            try PlanExport.prepareForInference(graph, registry: registry)
            try PlanExport.write(graph, weights: weights, batch: batch, to: path, registry: registry)
            FileHandle.standardOutput.write("wrote \(path)\n")
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(1)
        }
    }
}
