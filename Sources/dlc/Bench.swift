import ArgumentParser
import Foundation
import DLCCore
import DLCDriver
import DLCExperiment

/// `dlc bench FILE`: how fast a model's training step (or inference, or compilation) runs,
/// as medians of several runs; `--json` for `../shared/bench/compare.sh`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark a model: its training step (default), inference (--infer) or compilation (--compile).",
        discussion: "Times are medians in ms per step; build with `swift build -c release` first.")

    @Argument(help: "The .dlg file.")
    var file: String

    @Option(help: "The model (when the file has several).")
    var model: String?

    @Option(help: "The batch size (every symbolic dimension takes it).")
    var batch: Int = 64

    @Flag(help: "Time inference (the forward pass) instead of the training step.")
    var infer = false

    @Flag(help: "Time the compiler (parse, elaborate, passes, training step, optimization, lowering) instead of running the model.")
    var compile = false

    @Option(help: "Number of timed repetitions.")
    var runs: Int = 9

    @Option(help: "Steps per timed repetition (default: enough for 50 ms).")
    var steps: Int?

    @Flag(name: .customLong("no-fuse"), help: "Run the plan without the execution passes (simplification and fusion).")
    var noFuse = false

    @Option(name: .customLong("disable-pass"), help: "Skip this pass wherever a pipeline runs it (repeatable), e.g. fuse-epilogue.")
    var disablePass: [String] = []

    @Flag(help: "Also time each kernel and print where the step's time goes (slowest first).")
    var profile = false

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard runs >= 1 && runs <= 10_000 else { throw ValidationError("--runs must be between 1 and 10000") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if compile && profile { throw ValidationError("--profile times the kernels of a step; it does not apply to --compile") }
    }

    func run() throws {
        let registry = standardRegistry()
        let source = try loadSource(file)
        try exitingOnErrors {
            if compile { try benchCompile(source, registry: registry) } else { try benchSteps(source, registry: registry) }
        }
    }

    func benchSteps(_ source: SourceFile, registry: Registry) throws {
        let r = try StepBenchmark(registry: registry).run(source, model: model, batch: batch, inference: infer, reps: runs,
                                                          steps: steps, fuse: !noFuse,
                                                          disabled: Set(disablePass), profile: profile)
        if json {
            print("{\"file\":\"\(file)\",\"mode\":\"\(r.mode)\",\"batch\":\(r.batch),\"ms_per_step_median\":\(r.median),"
                  + "\"ms_per_step_min\":\(r.minimum),\"samples_per_s\":\(Double(r.batch) * 1000 / r.median),"
                  + "\"reps\":\(r.reps),\"steps\":\(r.steps),\"threads\":\(r.threads),\"kernels\":\(r.kernels),\"once_per_state_kernels\":\(r.onceKernels),"
                  + "\"arena_bytes\":\(r.arenaBytes),\"peak_rss_bytes\":\(r.peakRSSBytes)"
                  + (profile ? ",\"profile\":[" + r.profile.map(profileJSON).joined(separator: ",") + "]" : "") + "}")
        } else {
            print("\(file): \(r.mode == "train" ? "training step" : "inference") at batch \(r.batch), \(r.kernels) kernels\(r.onceKernels > 0 ? " (+\(r.onceKernels) once per state)" : "")")
            print("  median  \(fmt(r.median)) ms/step (min \(fmt(r.minimum)), \(r.reps) reps)")
            print("  \(fmt(Double(r.batch) * 1000 / r.median)) samples/s")
            if profile { print(profileTable(r.profile)) }
        }
    }

    /// The kernels by time per step, slowest first, with their share of the profiled step.
    func profileTable(_ times: [StepBenchmark.StepTime]) -> String {
        let total = max(times.reduce(0) { $0 + $1.ms }, 1e-12)
        var lines = ["  kernels, slowest first (ms per step, share of \(fmt(total)) ms):"]
        for t in times.sorted(by: { $0.ms > $1.ms }) {
            let share = String(format: "%5.1f%%", 100 * t.ms / total)
            let ms = String(format: "%9.4f", t.ms)
            lines.append("  \(ms)  \(share)  step \(t.index): \(t.kernel) (\(t.op)) \(t.shape)")
        }
        return lines.joined(separator: "\n")
    }

    func profileJSON(_ t: StepBenchmark.StepTime) -> String {
        "{\"step\":\(t.index),\"kernel\":\"\(t.kernel)\",\"op\":\"\(t.op)\",\"shape\":\(t.shape),\"ms\":\(t.ms)}"
    }

    func benchCompile(_ source: SourceFile, registry: Registry) throws {
        let (m, nodes, _) = try CompileBenchmark(registry: registry).run(source, runs: runs, inference: infer, batch: batch)
        if json {
            print("{\"file\":\"\(file)\",\"mode\":\"\(infer ? "infer" : "train")\",\"nodes\":\(nodes),\"runs\":\(runs),"
                  + "\"compile_ms_median\":\(m.total),\"front_end_ms\":\(m.frontEnd),"
                  + "\"parse_ms\":\(m.parse),\"elaborate_ms\":\(m.elaborate),\"passes_ms\":\(m.passes),"
                  + "\"training_step_ms\":\(m.trainingStep),\"optimize_ms\":\(m.optimize),\"lower_ms\":\(m.lower)}")
        } else {
            print("\(file): \(nodes) nodes, \(infer ? "inference" : "training step") plan at batch \(batch), median of \(runs) runs")
            print("  parse          \(fmt(m.parse)) ms")
            print("  elaborate      \(fmt(m.elaborate)) ms")
            print("  passes         \(fmt(m.passes)) ms")
            print("  training step  \(fmt(m.trainingStep)) ms")
            print("  optimize       \(fmt(m.optimize)) ms")
            print("  lower          \(fmt(m.lower)) ms")
            print("  total          \(fmt(m.total)) ms")
        }
    }

    func fmt(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 1000
        return String(r)
    }
}
