import ArgumentParser
import DLCCore
import DLCDriver
import DLCExperiment

/// `dlc report RUN|SWEEP -o report.html`: one self-contained HTML page about a run or a sweep.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report of a training run or a sweep.",
        discussion: """
            A RUN is a run directory, or the name of a run in the runs directory; a SWEEP is a sweep \
            directory (with sweep.json). The page needs no network: styles are inline, charts and the \
            model's diagram are inline SVG. A run's report has its results, the loss and metric curves, \
            the test split's confusion matrix, per-class metrics and ROC curves, the settings, the \
            diagram and the environment; a sweep's has the trials ranked by the metric (failed ones with \
            their error), the metric against each swept setting, and the best trial's report.
            Exit status: 0 when the report is written, 1 for a run or sweep that does not exist or \
            cannot be read, 2 for usage errors (such as an output directory that does not exist).
            """)

    @Argument(help: "The run or sweep directory (or a run's name in the runs directory).")
    var target: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "The HTML file to write.")
    var output: String

    @Option(help: "The directory runs are recorded in (to find a run by name).")
    var runsDir = "runs"

    func validate() throws {
        try asUsage { try OutputPath.check(output) }
    }

    func run() throws {
        var path = target
        if !SweepReportData.isSweep(path) {
            do { path = try RunInfo.resolve(target, runsDirectory: runsDir).path } catch { throw Runs.fail(error) }
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
