import ArgumentParser
import DLCCore
import DLCDriver

/// `dlc bench FILE`: how fast the compiler handles a model (medians of several runs).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the compiler on a .dlg file: parse, elaborate and pass times (median of several runs).")

    @Argument(help: "The .dlg file.")
    var file: String

    @Option(help: "Number of timed runs (after one warm-up).")
    var runs: Int = 11

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard runs >= 1 && runs <= 10_000 else { throw ValidationError("--runs must be between 1 and 10000") }
    }

    func run() throws {
        let registry = Registry.shared
        Compiler.installStandardPlugins(into: registry)
        do {
            let source = try SourceLoader.load(path: file)
            let (m, nodes, _) = try CompileBenchmark(registry: registry).run(source, runs: runs)
            if json {
                print("{\"file\":\"\(file)\",\"nodes\":\(nodes),\"runs\":\(runs),\"compile_ms_median\":\(m.total),"
                      + "\"parse_ms\":\(m.parse),\"elaborate_ms\":\(m.elaborate),\"passes_ms\":\(m.passes)}")
            } else {
                print("\(file): \(nodes) nodes, median of \(runs) runs")
                print("  parse      \(fmt(m.parse)) ms")
                print("  elaborate  \(fmt(m.elaborate)) ms")
                print("  passes     \(fmt(m.passes)) ms")
                print("  total      \(fmt(m.total)) ms")
            }
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(e.message.hasPrefix("cannot read") ? 2 : 1)
        }
    }

    func fmt(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return String(r)
    }
}
