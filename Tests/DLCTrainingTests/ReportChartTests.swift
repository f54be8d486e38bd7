@testable import DLCExperiment
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Parses text as XML; nil when well-formed, else the parser's error with its line.
func xmlError(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    if parser.parse() { return nil }
    return "\(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber), column \(parser.columnNumber)"
}

/// The report's pieces: SVG charts, axes and ticks, HTML escaping and numbers.
final class ReportChartTests: XCTestCase {
    func testChartIsWellFormedWithTitleAxesLegendAndEscapedNames() {
        var chart = LineChart(title: "loss <per> step & more", x: ChartAxis("step"), y: ChartAxis("loss \"value\""), series: [
            ChartSeries("training", points: [(1, 2.0), (2, 1.0), (3, 0.5)]),
            ChartSeries("<b>validation</b> & 'co'", points: [(1, 2.5), (2, 1.5), (3, 0.9)], dashed: true),
        ])
        chart.highlight = (2, 1.0)
        let svg = chart.svg()
        XCTAssertNil(xmlError(svg), svg)
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains(">loss &lt;per&gt; step &amp; more</text>"), svg)
        XCTAssertTrue(svg.contains(">loss &quot;value&quot;</text>"), svg)
        XCTAssertTrue(svg.contains(">&lt;b&gt;validation&lt;/b&gt; &amp; &#39;co&#39;</text>"), svg)
        XCTAssertFalse(svg.contains("<b>"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertTrue(svg.contains("stroke-dasharray=\"6 3\""))
        // Ticks of the y axis 0.5…2.5 every 0.5, of the x axis 1…3.
        for label in [">0.5<", ">1<", ">1.5<", ">2<", ">2.5<", ">3<"] { XCTAssertTrue(svg.contains(label), label) }
        XCTAssertTrue(svg.contains("r=\"7.0\""), "the highlight ring")
    }

    func testNonFinitePointsBreakTheLineAndAnEmptyChartSaysSo() {
        let broken = LineChart(title: "t", x: ChartAxis("x"), y: ChartAxis("y"), series: [
            ChartSeries("s", points: [(1, 1), (2, 2), (3, .nan), (4, 3), (5, .infinity), (6, 4), (7, 5)]),
        ]).svg()
        XCTAssertNil(xmlError(broken))
        // (1,2) and (6,7) are lines; (4) alone is not drawn as a line.
        XCTAssertEqual(broken.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertFalse(broken.contains("nan"), broken)
        let empty = LineChart(title: "t", x: ChartAxis("x"), y: ChartAxis("y"), series: [ChartSeries("s", points: [])]).svg()
        XCTAssertNil(xmlError(empty))
        XCTAssertTrue(empty.contains(">no data</text>"))
    }

    func testALegendThatDoesNotFitSaysHowManyItLeftOut() {
        let series = (0..<40).map { k in ChartSeries("class \(k)", points: [(0, 0), (1, Double(k) / 40)]) }
        let svg = LineChart(title: "many", x: ChartAxis("x"), y: ChartAxis("y"), series: series).svg()
        XCTAssertNil(xmlError(svg))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 40, "every series is drawn")
        // 300 px high: (300 − 34 − 8) / 16 = 16 lines, the 16th saying what is left.
        XCTAssertTrue(svg.contains(">class 14</text>"))
        XCTAssertFalse(svg.contains(">class 15</text>"))
        XCTAssertTrue(svg.contains(">… 25 more</text>"), svg)
    }

    func testLogAxisHasDecadeTicksAndCategoriesTheirNames() {
        XCTAssertEqual(ChartAxis.suggestedScale(for: [0.001, 0.01, 0.1]), .log)
        XCTAssertEqual(ChartAxis.suggestedScale(for: [32, 64, 128]), .linear)
        XCTAssertEqual(ChartAxis.suggestedScale(for: [0, 1, 100]), .linear)
        let log = ChartAxis("lr", scale: .log).layout([0.0001, 0.05])
        XCTAssertEqual(log.domain.lowerBound, 0.0001, accuracy: 1e-12)
        XCTAssertEqual(log.domain.upperBound, 0.1, accuracy: 1e-12)
        XCTAssertEqual(log.ticks.map(\.1), ["1e-4", "0.001", "0.01", "0.1"])
        let narrow = ChartAxis("lr", scale: .log).layout([0.02, 0.05])
        XCTAssertEqual(narrow.ticks.map(\.1), ["0.01", "0.02", "0.05", "0.1"])
        let categories = ChartAxis("optimizer", scale: .categories(["sgd", "adam"])).layout([0, 1])
        XCTAssertEqual(categories.ticks.map(\.1), ["sgd", "adam"])
        XCTAssertEqual(categories.domain, -0.5...1.5)
        let linear = ChartAxis("epoch").layout([1, 12])
        XCTAssertEqual(linear.domain, 0...12)
        XCTAssertEqual(linear.ticks.map(\.1), ["0", "2", "4", "6", "8", "10", "12"])
        XCTAssertEqual(ChartAxis("epoch").layout([1, 2]).ticks.map(\.1), ["1", "1.2", "1.4", "1.6", "1.8", "2"])
        XCTAssertEqual(ChartAxis("epoch", integer: true).layout([1, 2]).ticks.map(\.1), ["1", "2"])
        let constant = ChartAxis("y").layout([0.5, 0.5])
        XCTAssertLessThan(constant.domain.lowerBound, 0.5)
        XCTAssertGreaterThan(constant.domain.upperBound, 0.5)
        let svg = LineChart(title: "m", x: ChartAxis("lr", scale: .log), y: ChartAxis("acc"),
                            series: [ChartSeries("acc", points: [(0.001, 0.5), (0.1, 0.9), (0, 0.7)], style: .markers)]).svg()
        XCTAssertNil(xmlError(svg))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2, "x = 0 has no place on a log axis")
    }

    func testBinaryAndRegressionEvaluations() {
        let binary = RunReportData.TestEvaluation(json: [
            "examples": 4, "metrics": ["accuracy": 0.75, "auc": 0.75],
            "confusion": [[1, 1], [0, 2]],
            "per_class": ["precision": [1.0, 2.0 / 3], "recall": [0.5, 1.0], "f1": [2.0 / 3, 0.8], "support": [2, 2]],
            "averages": ["macro_precision": 5.0 / 6, "macro_recall": 0.75, "macro_f1": 11.0 / 15,
                         "micro_precision": 0.75, "micro_recall": 0.75, "micro_f1": 0.75],
            "roc": [["class": 1, "fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 1.0, 1.0], "auc": 0.75]],
        ])
        let html = RunReport.evaluation(binary)
        XCTAssertNil(xmlError("<div>" + html + "</div>"))
        XCTAssertTrue(html.contains("<title>ROC curve</title>"), "one curve for a binary model")
        XCTAssertFalse(html.contains(">class 1 (AUC 0.750)</text>"), "a single series has no legend")
        XCTAssertTrue(html.contains("<td class=\"num\">0.6667</td>"))
        XCTAssertTrue(html.contains("<tr><td><b>macro average</b></td><td class=\"num\">0.8333</td>"), html)
        XCTAssertEqual(html.components(separatedBy: "title=\"true ").count - 1, 4, "a 2 × 2 confusion matrix")
        // Regression: the metrics alone.
        let regression = RunReport.evaluation(RunReportData.TestEvaluation(json: ["examples": 10, "metrics": ["mse": 0.25, "r2": 0.9]]))
        XCTAssertNil(xmlError("<div>" + regression + "</div>"))
        XCTAssertTrue(regression.contains("<td>mse</td><td class=\"num\">0.25</td>"), regression)
        XCTAssertFalse(regression.contains("confusion") || regression.contains("ROC"))
    }

    func testHTMLEscapingAndNumbers() {
        XCTAssertEqual(HTML.escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        XCTAssertEqual(HTML.number(3), "3")
        XCTAssertEqual(HTML.number(0.96657), "0.9666")
        XCTAssertEqual(HTML.number(0.1), "0.1")
        XCTAssertEqual(HTML.number(123.456), "123.5")
        XCTAssertEqual(HTML.number(0.0001), "1e-4")
        XCTAssertEqual(HTML.number(2.5e7), "25000000")
        XCTAssertEqual(HTML.number(2.5e7 + 0.5), "2.5e7")
        XCTAssertEqual(HTML.number(.nan), "nan")
        XCTAssertEqual(HTML.number(-.infinity), "-inf")
        let table = HTML.table(["a<", "b"], [["1", "<i>x</i>"]], numericColumns: [0])
        XCTAssertEqual(table, "<table><thead><tr><th class=\"num\">a&lt;</th><th>b</th></tr></thead><tbody><tr><td class=\"num\">1</td><td><i>x</i></td></tr></tbody></table>")
        let page = HTML.page(title: "t & <u>", body: table)
        XCTAssertNil(xmlError(page))
        XCTAssertTrue(page.contains("<title>t &amp; &lt;u&gt;</title>"))
    }
}
