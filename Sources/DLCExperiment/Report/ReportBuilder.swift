import DLCCore
import DLCDriver
import Foundation

/// `dlc report`: the HTML report of a run directory or a sweep directory.
public enum ReportBuilder {
    /// The report of the run or sweep at `path`. A run without `graph.svg` (recorded before
    /// dlc wrote one) gets its diagram drawn from its copy of the source.
    /// - Throws: `DLCError` when `path` is neither a run nor a sweep directory, or its
    ///   records cannot be read.
    public static func html(for path: String, registry: Registry) throws -> String {
        if SweepReportData.isSweep(path) {
            let sweep = try SweepReportData(path: path)
            var runs: [Int: RunReportData] = [:]
            for t in sweep.trials { runs[t.index] = try? RunReportData(path: path + "/" + t.run) }
            let bestIndex = sweep.best ?? sweep.ranked.first { $0.metrics[sweep.metric]?.isFinite == true }?.index
            var best = bestIndex.flatMap { runs[$0] }
            if best != nil { best!.diagramSVG = diagram(best!, registry: registry) }
            return SweepReport.html(sweep, bestRun: best, trialRuns: runs)
        }
        guard FileManager.default.fileExists(atPath: path + "/settings.json") else {
            throw DLCError("'\(path)' is neither a run directory (settings.json) nor a sweep directory (sweep.json)")
        }
        var run = try RunReportData(path: path)
        run.diagramSVG = diagram(run, registry: registry)
        return RunReport.html(run)
    }

    /// The run's `graph.svg`, else a drawing of its source copy (nil when neither works).
    static func diagram(_ run: RunReportData, registry: Registry) -> String? {
        if let svg = run.diagramSVG { return svg }
        guard let settings = try? RunRecorder.readJSON(run.info.path + "/settings.json"),
              let copy = settings["source_copy"] as? String,
              let bytes = FileManager.default.contents(atPath: run.info.path + "/" + copy),
              let svg = try? DiagramSupport.svg(SourceFile(path: copy, bytes: [UInt8](bytes)), model: run.info.model, registry: registry)
        else { return nil }
        return String(decoding: svg, as: UTF8.self)
    }
}
