import Foundation

/// The HTML report of one run: status and final metrics, the training curves, the test
/// split's evaluation (confusion matrix, per-class metrics, ROC curves), the resolved
/// settings, the model's diagram and the environment. Self-contained: styles inline, charts
/// and the diagram as inline SVG.
public enum RunReport {
    /// The whole page.
    public static func html(_ run: RunReportData) -> String {
        HTML.page(title: "dlc report: \(run.info.name)", body: body(run, level: 1))
    }

    /// The page's content; `level` 2 makes it a section of another page (a sweep's best
    /// trial), `title` names the run in the heading (default: "run <directory name>").
    static func body(_ run: RunReportData, level: Int, title: String? = nil) -> String {
        let h = level == 1 ? ("h1", "h2") : ("h2", "h3")
        var s = "<\(h.0)>\(HTML.escape(run.info.model)) — \(HTML.escape(title ?? "run " + run.info.name))</\(h.0)>"
        s += "<p class=\"sub\">\(statusHTML(run.info.status)) · started \(HTML.escape(run.info.date.isEmpty ? "?" : run.info.date))"
        s += " · \(run.epochs.count) epoch\(run.epochs.count == 1 ? "" : "s"), \(run.steps.count) step\(run.steps.count == 1 ? "" : "s")"
        s += " · <code>\(HTML.escape(run.info.path))</code></p>"
        s += section(h.1, "Results", results(run))
        s += section(h.1, "Training curves", curves(run))
        if let test = run.test { s += section(h.1, "Test evaluation (\(test.examples) examples, final weights)", evaluation(test)) }
        s += section(h.1, "Settings", settings(run))
        if let svg = run.diagramSVG { s += section(h.1, "Model graph", "<div class=\"diagram\">\(inlineSVG(svg))</div>") }
        s += section(h.1, "Environment", HTML.table(["key", "value"], run.environment.keys.sorted().map {
            [HTML.escape($0), HTML.escape("\(run.environment[$0]!)")]
        }, classes: "kv"))
        return s
    }

    static func section(_ tag: String, _ title: String, _ content: String) -> String {
        "<\(tag)>\(HTML.escape(title))</\(tag)>\(content)"
    }

    static func statusHTML(_ status: String) -> String {
        let cls = status == "finished" ? "status-finished" : status.hasPrefix("failed") ? "status-failed" : "status-other"
        return "<span class=\"\(cls)\">\(HTML.escape(status))</span>"
    }

    /// The final metrics (test, last epoch) and the best epoch.
    static func results(_ run: RunReportData) -> String {
        let m = run.info.finalMetrics
        guard !m.isEmpty else { return "<p class=\"note\">No metrics recorded yet.</p>" }
        var rows = m.keys.sorted { a, b in (a.hasPrefix("test_") ? 0 : 1, a) < (b.hasPrefix("test_") ? 0 : 1, b) }
            .map { [HTML.escape($0), HTML.number(m[$0]!)] }
        if let best = run.info.summary["best_epoch"] as? Int { rows.append(["best epoch", HTML.escape("\(best) (\(run.info.best))")]) }
        if let stopped = run.info.summary["stopped_early_at"] as? Int { rows.append(["stopped early after epoch", "\(stopped)"]) }
        return HTML.table(["metric", "value"], rows, numericColumns: [1], classes: "kv")
    }

    /// Loss per step, loss and accuracy per epoch (training and validation), the other
    /// validation metrics per epoch, and the learning rate when a schedule changed it.
    static func curves(_ run: RunReportData) -> String {
        var charts: [String] = []
        if !run.steps.isEmpty {
            // A section with steps logs each train step's loss: one series per step name.
            var names: [String] = []
            for case let name? in run.stepNames where !names.contains(name) { names.append(name) }
            let series = names.isEmpty ? [ChartSeries("loss", points: run.steps.map { (Double($0.step), $0.loss) })]
                : names.map { name in
                    ChartSeries(name + " loss", points: zip(run.steps, run.stepNames).filter { $0.1 == name }.map { (Double($0.0.step), $0.0.loss) })
                }
            charts.append(LineChart(title: "Training loss per step", x: ChartAxis("step", integer: true), y: ChartAxis("loss"),
                                    series: series).svg())
        }
        func epochSeries(_ column: String, _ name: String, dashed: Bool = false, color: String? = nil) -> ChartSeries? {
            let points = run.epochs.compactMap { e in e[column].flatMap { v in e["epoch"].map { ($0, v) } } }
            return points.isEmpty ? nil : ChartSeries(name, points: points, style: run.epochs.count < 3 ? .lineAndMarkers : .line,
                                                      dashed: dashed, color: color)
        }
        let blue = LineChart.palette[0], orange = LineChart.palette[1]
        let loss = [epochSeries("loss", "training", color: blue), epochSeries("val_loss", "validation", dashed: true, color: orange)].compactMap { $0 }
        if !loss.isEmpty {
            charts.append(LineChart(title: "Loss per epoch", x: ChartAxis("epoch", integer: true), y: ChartAxis("loss"), series: loss).svg())
        }
        let accuracy = [epochSeries("train_accuracy", "training", color: blue),
                        epochSeries("val_accuracy", "validation", dashed: true, color: orange)].compactMap { $0 }
        if !accuracy.isEmpty {
            charts.append(LineChart(title: "Accuracy per epoch", x: ChartAxis("epoch", integer: true), y: ChartAxis("accuracy"), series: accuracy).svg())
        }
        for column in run.columns where column.hasPrefix("val_") && column != "val_loss" && column != "val_accuracy" {
            if let serie = epochSeries(column, column, color: orange) {
                let name = String(column.dropFirst(4))
                charts.append(LineChart(title: "Validation \(name) per epoch", x: ChartAxis("epoch", integer: true), y: ChartAxis(name), series: [serie]).svg())
            }
        }
        let rates = run.steps.map(\.lr).filter(\.isFinite)
        if let lo = rates.min(), let hi = rates.max(), hi > lo {
            charts.append(LineChart(title: "Learning rate per step", x: ChartAxis("step", integer: true),
                                    y: ChartAxis("learning rate", scale: ChartAxis.suggestedScale(for: rates)),
                                    series: [ChartSeries("lr", points: run.steps.map { (Double($0.step), $0.lr) })]).svg())
        }
        if charts.isEmpty { return "<p class=\"note\">No steps recorded yet.</p>" }
        return "<div class=\"charts\">" + charts.joined() + "</div>"
    }

    /// The test metrics, the confusion matrix, per-class metrics and the ROC curves.
    static func evaluation(_ t: RunReportData.TestEvaluation) -> String {
        var s = HTML.table(["metric", "value"], t.metrics.keys.sorted().map { [HTML.escape($0), HTML.number(t.metrics[$0]!)] },
                           numericColumns: [1], classes: "kv")
        var blocks: [String] = []
        if let c = t.confusion, !c.isEmpty { blocks.append("<div class=\"scroll\"><h3>Confusion matrix</h3>\(confusionTable(c))</div>") }
        if let p = t.perClass {
            var rows: [[String]] = []
            for k in p.precision.indices {
                rows.append(["\(k)", HTML.number(p.precision[k]), HTML.number(p.recall[k]), HTML.number(p.f1[k]),
                             k < p.support.count ? "\(p.support[k])" : ""])
            }
            for avg in ["macro", "micro"] {
                if let pr = t.averages["\(avg)_precision"], let re = t.averages["\(avg)_recall"], let f1 = t.averages["\(avg)_f1"] {
                    rows.append(["<b>\(avg) average</b>", HTML.number(pr), HTML.number(re), HTML.number(f1), "\(p.support.reduce(0, +))"])
                }
            }
            blocks.append("<div><h3>Per-class metrics</h3>" + HTML.table(["class", "precision", "recall", "F1", "support"], rows,
                                                                           numericColumns: [1, 2, 3, 4]) + "</div>")
        }
        if !t.roc.isEmpty {
            let binary = t.roc.count == 1
            var chart = LineChart(title: binary ? "ROC curve" : "ROC curves (one vs rest)",
                                  x: ChartAxis("false positive rate", range: 0...1), y: ChartAxis("true positive rate", range: 0...1),
                                  series: t.roc.map { c in
                                      ChartSeries("class \(c.label) (AUC \(String(format: "%.3f", c.auc)))", points: Array(zip(c.fpr, c.tpr)).map { ($0, $1) })
                                  })
            chart.diagonal = true
            chart.width = 580
            chart.height = min(600, max(380, 50 + Double(t.roc.count) * 16 + 40))
            blocks.append("<div><h3>ROC</h3>\(chart.svg())</div>")
        }
        s += "<div class=\"columns\">" + blocks.joined() + "</div>"
        return s
    }

    /// The confusion matrix with each cell shaded by its share of the true class's row.
    static func confusionTable(_ m: [[Int]]) -> String {
        var s = "<table class=\"confusion\"><thead><tr><th>true \\ predicted</th>"
        for j in m.indices { s += "<th>\(j)</th>" }
        s += "</tr></thead><tbody>"
        for (i, row) in m.enumerated() {
            let total = max(1, row.reduce(0, +))
            s += "<tr><th>\(i)</th>"
            for (j, v) in row.enumerated() {
                let share = Double(v) / Double(total)
                let style = v == 0 ? "" : " style=\"background: \(shade(share, diagonal: i == j));\(share > 0.5 ? " color: #fff;" : "")\""
                s += "<td\(style) title=\"true \(i), predicted \(j): \(v)\">\(v)</td>"
            }
            s += "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// Blue for correct predictions, red for confusions, deeper with the share.
    static func shade(_ share: Double, diagonal: Bool) -> String {
        let a = 0.12 + 0.88 * min(max(share, 0), 1)
        return diagonal ? "rgba(0, 90, 170, \(String(format: "%.2f", a)))" : "rgba(200, 40, 40, \(String(format: "%.2f", a)))"
    }

    static func settings(_ run: RunReportData) -> String {
        let keys = run.info.settings.keys.sorted()
        var s = HTML.table(["setting", "value"], keys.map { k in
            let overridden = run.overrides[k] != nil
            return [HTML.escape(k), HTML.escape(run.info.settings[k]!) + (overridden ? " <span class=\"note\">(command line)</span>" : "")]
        }, classes: "kv")
        if let p = run.sourcePath { s += "<p class=\"note\">source: <code>\(HTML.escape(p))</code></p>" }
        return s
    }

    /// Graphviz's SVG document without its XML declaration and DOCTYPE, to sit inside HTML.
    static func inlineSVG(_ document: String) -> String {
        guard let start = document.range(of: "<svg") else { return "<p class=\"note\">(the diagram could not be read)</p>" }
        return String(document[start.lowerBound...])
    }
}
