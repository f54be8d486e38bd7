import Foundation

/// The HTML report of a sweep: the search, the trials ranked by the metric (failed trials with
/// their error), a chart of the metric against each swept setting, the validation curves of
/// the trials, and the best trial's own report.
public enum SweepReport {
    /// The whole page; `bestRun` is the best trial's run (read by the caller), if it has one.
    public static func html(_ sweep: SweepReportData, bestRun: RunReportData?, trialRuns: [Int: RunReportData] = [:]) -> String {
        let name = sweep.path.split(separator: "/").last.map(String.init) ?? sweep.path
        var s = "<h1>\(HTML.escape(sweep.model)) — sweep \(HTML.escape(name))</h1>"
        let failed = sweep.trials.filter { $0.status == "failed" }.count
        let finished = sweep.trials.filter { $0.status == "finished" }.count
        s += "<p class=\"sub\">\(RunReport.statusHTML(sweep.status)) · \(HTML.escape(sweep.kind)) search over "
            + sweep.swept.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: ", ")
            + " · \(sweep.trials.count) trials (\(finished) finished, \(failed) failed) · "
            + "\(sweep.goal == "max" ? "maximizing" : "minimizing") <code>\(HTML.escape(sweep.metric))</code>"
            + (sweep.source.isEmpty ? "" : " · <code>\(HTML.escape(sweep.source))</code>") + "</p>"
        let ranked = sweep.ranked
        let bestIndex = sweep.best ?? ranked.first { $0.metrics[sweep.metric]?.isFinite == true }?.index
        if let b = sweep.trials.first(where: { $0.index == bestIndex }) {
            s += "<p>Best: trial \(b.index), \(HTML.escape(sweep.metric)) = \(b.metrics[sweep.metric].map(HTML.number) ?? "?") with "
                + sweep.swept.map { "<code>\(HTML.escape($0)) = \(HTML.escape(b.settings[$0]?.description ?? "?"))</code>" }.joined(separator: ", ")
                + "</p>"
        }
        s += "<h2>Trials</h2><div class=\"scroll\">" + trialTable(sweep, ranked: ranked, best: bestIndex) + "</div>"
        let charts = settingCharts(sweep, best: bestIndex) + curveCharts(sweep, trialRuns: trialRuns)
        if !charts.isEmpty { s += "<h2>\(HTML.escape(sweep.metric)) against the settings</h2><div class=\"charts\">" + charts.joined() + "</div>" }
        if let bestRun {
            s += "<h2>Best trial</h2>" + RunReport.body(bestRun, level: 2, title: "trial \(bestIndex.map(String.init) ?? "?")")
        }
        return HTML.page(title: "dlc report: sweep \(name)", body: s)
    }

    /// Rank, trial, the swept settings, the metric, the other metrics, time, status or error.
    static func trialTable(_ sweep: SweepReportData, ranked: [SweepReportData.Trial], best: Int?) -> String {
        let others = Set(sweep.trials.flatMap(\.metrics.keys)).subtracting([sweep.metric]).sorted()
        // A trial's `seconds` metric is its training time; the trial's own `seconds` its wall time.
        let header = ["rank", "trial"] + sweep.swept + [sweep.metric] + others.map { $0 == "seconds" ? "train seconds" : $0 }
            + ["wall seconds", "status"]
        var s = "<table><thead><tr>"
        let firstNumeric = 2 + sweep.swept.count
        for (i, h) in header.enumerated() {
            s += "<th\(i < 2 || (i >= firstNumeric && i < header.count - 1) ? " class=\"num\"" : "")>\(HTML.escape(h))</th>"
        }
        s += "</tr></thead><tbody>"
        for (rank, t) in ranked.enumerated() {
            let scored = t.metrics[sweep.metric]?.isFinite == true
            let cls = t.index == best ? " class=\"best\"" : (t.status == "failed" ? " class=\"failed\"" : "")
            s += "<tr\(cls)><td class=\"num\">\(scored ? "\(rank + 1)" : "–")</td><td class=\"num\">\(t.index)</td>"
            for name in sweep.swept { s += "<td>\(HTML.escape(t.settings[name]?.description ?? "–"))</td>" }
            for name in [sweep.metric] + others { s += "<td class=\"num\">\(t.metrics[name].map(HTML.number) ?? "–")</td>" }
            s += "<td class=\"num\">\(t.seconds.map { String(format: "%.1f", $0) } ?? "–")</td>"
            if let e = t.error {
                s += "<td><span class=\"status-failed\">\(HTML.escape(t.status))</span><div class=\"error\">\(HTML.escape(e))</div></td>"
            } else {
                s += "<td>\(RunReport.statusHTML(t.status))</td>"
            }
            s += "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// The metric against each swept setting (log scale when a numeric setting spans a
    /// decade or more; string settings as categories), the best trial ringed.
    static func settingCharts(_ sweep: SweepReportData, best: Int?) -> [String] {
        let scored = sweep.trials.filter { $0.metrics[sweep.metric]?.isFinite == true }
        return sweep.swept.map { name in
            let values = sweep.trials.compactMap { $0.settings[name] }
            let numeric = values.compactMap { v -> Double? in if case .number(let d) = v { d } else { nil } }
            let axis: ChartAxis
            var position: (SweepReportData.SettingValue) -> Double?
            if numeric.count == values.count {
                axis = ChartAxis(name, scale: ChartAxis.suggestedScale(for: numeric))
                position = { if case .number(let d) = $0 { d } else { nil } }
            } else {
                var names: [String] = []
                for v in values where !names.contains(v.description) { names.append(v.description) }
                axis = ChartAxis(name, scale: .categories(names))
                position = { v in names.firstIndex(of: v.description).map(Double.init) }
            }
            let points = scored.compactMap { t in t.settings[name].flatMap(position).map { ($0, t.metrics[sweep.metric]!) } }
            var chart = LineChart(title: "\(sweep.metric) by \(name)", x: axis, y: ChartAxis(sweep.metric),
                                  series: [ChartSeries(sweep.metric, points: points, style: .markers)])
            chart.width = 420
            if let b = scored.first(where: { $0.index == best }), let x = b.settings[name].flatMap(position) {
                chart.highlight = (x, b.metrics[sweep.metric]!)
            }
            return chart.svg()
        }
    }

    /// The metric per epoch of each trial, when it is a validation metric the runs log.
    static func curveCharts(_ sweep: SweepReportData, trialRuns: [Int: RunReportData]) -> [String] {
        guard sweep.metric.hasPrefix("val_") else { return [] }
        let series = trialRuns.keys.sorted().compactMap { index -> ChartSeries? in
            let points = trialRuns[index]!.epochs.compactMap { e in e[sweep.metric].flatMap { v in e["epoch"].map { ($0, v) } } }
            return points.isEmpty ? nil : ChartSeries("trial \(index)", points: points, style: points.count < 3 ? .lineAndMarkers : .line)
        }
        guard !series.isEmpty else { return [] }
        return [LineChart(title: "\(sweep.metric) per epoch, each trial", x: ChartAxis("epoch", integer: true), y: ChartAxis(sweep.metric),
                          series: series).svg()]
    }
}
