import ArgumentParser
import DLCCore
import DLCDriver
import DLCExperiment
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT; the sweep stops its trials (each saves a checkpoint) and starts no more.
private var sweepInterrupted: sig_atomic_t = 0

/// `dlc sweep FILE.dlg`: runs the grid or random search of the train section's `sweep:`.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the grid or random search declared by a train section's sweep: setting.",
        discussion: """
            Each trial is a full run of dlc train (a child process) recorded in \
            SWEEPS-DIR/<model>-<UTC timestamp>/trials/<index>/; sweep.json in that directory records the \
            trials as they end. A failing trial is recorded as failed and the others go on. Ends with the \
            trials sorted by the sweep's metric, best first. Ctrl-C stops the running trials (each saves a \
            checkpoint) and exits with 130. Exit status: 0 when at least one trial finished, 1 for errors \
            in the file or when every trial failed, 2 for usage errors.
            """)

    @Argument(help: "The .dlg file whose train section declares the sweep.")
    var file: String

    @Option(help: "The model whose train section to sweep (when the file has several).")
    var model: String?

    @Option(help: "Trials at once (default: the number of cores); the cores are divided among them.")
    var jobs: Int?

    @Flag(help: "End with one line of JSON: the sweep directory, the best trial, its settings and metric.")
    var json = false

    @Option(help: "The directory sweeps are recorded in.")
    var sweepsDir = "sweeps"

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let registry = standardRegistry()
        let source = try loadSource(file)
        let result = Compiler(registry: registry).compile(source, options: CompileOptions(model: model))
        guard result.status == 0 else {
            FileHandle.standardError.write(result.diagnosticsText)
            throw ExitCode(1)
        }
        let record: SweepRecord, directory: String
        do {
            let graph = try Trainer(registry: registry).chooseModel(result, requested: model, file: file)
            guard let spec = result.trainSections.first(where: { $0.model == graph.name })?.sweep else {
                throw DLCError("\(file): the train section of model '\(graph.name)' declares no sweep (add e.g. 'sweep: grid(lr: [0.1, 0.01])')")
            }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let runner = try SweepRunner(parent: sweepsDir, sourcePath: file, spec: spec, model: graph.name)
            directory = runner.directory
            let count = runner.record.trials.count
            let jobs = min(self.jobs ?? cores, count)
            let threads = max(1, cores / jobs)
            print("sweeping \(graph.name): \(spec.kind.rawValue == "grid" ? "a grid" : "a random search") of \(count) trial\(count == 1 ? "" : "s") over "
                  + spec.parameters.map(\.name).joined(separator: ", ")
                  + ", \(jobs) at a time (\(threads) thread\(threads == 1 ? "" : "s") each), ranked by \(spec.metric) (\(spec.maximize ? "higher" : "lower") is better)")
            print("recording the sweep in \(directory)")
            signal(SIGINT) { _ in sweepInterrupted = 1 }
            defer { signal(SIGINT, SIG_DFL) }
            let options = SweepOptions(executable: "/proc/self/exe", leadingArguments: pluginArguments.flatMap { ["--plugin", $0] },
                                       jobs: jobs, threadsPerTrial: threads, shouldStop: { sweepInterrupted != 0 })
            record = try runner.run(options) { print($0) }
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(1)
        }
        print("")
        print(record.table(), terminator: "")
        if record.interrupted { print("interrupted; the sweep is recorded in \(directory)") }
        if json { print(Self.jsonLine(record, directory: directory)) }
        if record.interrupted { throw ExitCode(130) }
        if record.best == nil && !record.trials.contains(where: { $0.status == .finished }) { throw ExitCode(1) }
    }

    /// `{"sweep": DIR, "metric": …, "goal": …, "best": INDEX|null, "value": …, "settings": {…}, "trials": N, "failed": K}`.
    static func jsonLine(_ record: SweepRecord, directory: String) -> String {
        var o: [String: Any] = ["sweep": directory, "metric": record.metric, "goal": record.maximize ? "max" : "min",
                                "trials": record.trials.count, "failed": record.trials.filter { $0.status == .failed }.count]
        if let b = record.ranked.first {
            o["best"] = b.index
            o["value"] = b.metrics[record.metric]
            o["settings"] = (record.json["trials"] as? [[String: Any]])?[b.index]["settings"]
            o["run"] = directory + "/" + b.run
        } else {
            o["best"] = NSNull()
        }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
