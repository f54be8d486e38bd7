import ArgumentParser
import DLCCore
import DLCDriver
import DLCExperiment
#if canImport(Glibc)
import Glibc
#endif

/// `dlc report RUN|SWEEP -o report.html`: one self-contained HTML page about a run or a sweep.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report of a training run or a sweep.",
        discussion: """
            A RUN is a run directory, or the name of a run in the runs directory; a SWEEP is a sweep \
            directory (with sweep.json), or the name of a sweep in the sweeps directory. The page needs no network: styles are inline, charts and the \
            model's diagram are inline SVG. A run's report has its results, the loss and metric curves, \
            the test split's confusion matrix, per-class metrics and ROC curves, the settings, the \
            diagram and the environment; a sweep's has the trials ranked by the metric (failed ones with \
            their error), the metric against each swept setting, and the best trial's report.
            Exit status: 0 when the report is written, 1 for a run or sweep that does not exist or \
            cannot be read, 2 for usage errors (such as an output directory that does not exist).
            """)

    @Argument(help: "The run or sweep directory (or the name of a run in the runs directory, or of a sweep in the sweeps directory).")
    var target: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "The HTML file to write.")
    var output: String

    @Option(help: "The directory runs are recorded in (to find a run by name).")
    var runsDir = "runs"

    @Option(help: "The directory sweeps are recorded in (to find a sweep by name).")
    var sweepsDir = "sweeps"

    func validate() throws {
        try asUsage { try OutputPath.check(output) }
    }

    func run() throws {
        let path: String
        if SweepReportData.isSweep(target) || access(target + "/settings.json", F_OK) == 0 {
            path = target  // a run directory whose records cannot be read is reported by ReportBuilder
        } else if let run = try? RunInfo.resolve(target, runsDirectory: runsDir) {
            path = run.path
        } else if !target.contains("/"), SweepReportData.isSweep(sweepsDir + "/" + target) {
            path = sweepsDir + "/" + target
        } else {
            throw Runs.fail(DLCError("no run or sweep '\(target)' (neither a run or sweep directory, nor a run in \(runsDir), nor a sweep in \(sweepsDir))"))
        }
        do {
            let html = try ReportBuilder.html(for: path, registry: standardRegistry())
            try AtomicFile.write(Array(html.utf8), to: output)
        } catch {
            throw Runs.fail(error)
        }
        FileHandle.standardOutput.write("wrote \(output)\n")
    }
}
