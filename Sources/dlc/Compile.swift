import ArgumentParser
import DLCCore
import DLCDriver
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

    @Option(help: "Compile only this model of the file.")
    var model: String?

    @Option(help: "The batch size for --emit=plan (every symbolic dimension takes it).")
    var batch: Int = 1

    @Flag(name: .customLong("train"), help: "With --emit=plan: the plan of the training step.")
    var trainingPlan = false

    @Option(help: "Colour diagnostics: auto, always, never.")
    var color: ColorMode = .auto

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        let registry = Registry.shared
        Compiler.installStandardPlugins(into: registry)
        for pass in printAfter where registry.passes[pass] == nil {
            let hint = closestName(to: pass, among: registry.passes.keys).map { "; did you mean '\($0)'?" } ?? ""
            throw ValidationError("unknown pass '\(pass)'\(hint) (passes: \(registry.passes.keys.sorted().joined(separator: ", ")))")
        }
    }

    func run() throws {
        let registry = Registry.shared
        Compiler.installStandardPlugins(into: registry)
        let source: SourceFile
        do {
            source = try SourceLoader.load(path: file)
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(2)
        }
        let result = Compiler(registry: registry).compile(source, options: CompileOptions(
            emit: emit, printAfter: printAfter, model: model, colors: color.enabled, batch: batch, trainingPlan: trainingPlan))
        FileHandle.standardOutput.write(result.output)
        FileHandle.standardError.write(result.diagnosticsText)
        if result.status != 0 { throw ExitCode(result.status) }
    }
}
