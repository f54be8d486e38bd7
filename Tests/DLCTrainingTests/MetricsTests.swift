import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

// Every metric against scikit-learn's value on fixed inputs: Fixtures/metrics_sklearn.json,
// written by Fixtures/make_metrics.py (scikit-learn from PyPI; these tests need no Python).
final class MetricsTests: XCTestCase {
    struct ROC: Decodable {
        var `class`: Int
        var fpr: [Double]
        var tpr: [Double]
        var thresholds: [Double]
        var auc: Double?
    }

    struct Averages: Decodable { var precision, recall, f1: Double }

    struct ClassificationCase: Decodable {
        var name: String
        var classes: Int
        var labels: [Int]
        var probs: [[Double]]
        var accuracy: Double
        var confusion: [[Int]]
        var precision, recall, f1: [Double]
        var support: [Int]
        var log_loss: Double
        var macro, micro: Averages
        var auc: Double
        var roc: [ROC]
    }

    struct RegressionCase: Decodable {
        var name: String
        var y, p: [Double]
        var mse, mae, r2: Double
    }

    struct Fixture: Decodable {
        var classification: [ClassificationCase]
        var regression: [RegressionCase]
    }

    static let fixture: Fixture = {
        let url = Repository.root.appendingPathComponent("Tests/DLCTrainingTests/Fixtures/metrics_sklearn.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func close(_ a: Double, _ b: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b)), what, file: file, line: line)
    }

    func closeAll(_ a: [Double], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (x, y) in zip(a, b) { close(x, y, what, file: file, line: line) }
    }

    func testClassificationMetricsMatchScikitLearn() {
        for c in Self.fixture.classification {
            let predicted = Metrics.argmax(c.probs)
            close(Metrics.accuracy(c.labels, predicted), c.accuracy, "\(c.name): accuracy")
            let confusion = Metrics.confusionMatrix(c.labels, predicted, classes: c.classes)
            XCTAssertEqual(confusion, c.confusion, "\(c.name): confusion matrix")
            let r = Metrics.classReport(confusion: confusion)
            closeAll(r.precision, c.precision, "\(c.name): precision")
            closeAll(r.recall, c.recall, "\(c.name): recall")
            closeAll(r.f1, c.f1, "\(c.name): f1")
            XCTAssertEqual(r.support, c.support, "\(c.name): support")
            close(r.macroPrecision, c.macro.precision, "\(c.name): macro precision")
            close(r.macroRecall, c.macro.recall, "\(c.name): macro recall")
            close(r.macroF1, c.macro.f1, "\(c.name): macro f1")
            close(r.microPrecision, c.micro.precision, "\(c.name): micro precision")
            close(r.microRecall, c.micro.recall, "\(c.name): micro recall")
            close(r.microF1, c.micro.f1, "\(c.name): micro f1")
            close(Metrics.logLoss(c.labels, c.probs), c.log_loss, "\(c.name): log loss")
            close(Metrics.rocAUCOneVsRest(c.labels, c.probs).macro ?? .nan, c.auc, "\(c.name): AUC")
        }
    }

    func testROCCurvesMatchScikitLearn() {
        for c in Self.fixture.classification {
            for roc in c.roc {
                let positive = c.labels.map { $0 == roc.class }
                let scores = c.probs.map { $0[roc.class] }
                let curve = Metrics.rocCurve(positive, scores)
                closeAll(curve.fpr, roc.fpr, "\(c.name): fpr of class \(roc.class)")
                closeAll(curve.tpr, roc.tpr, "\(c.name): tpr of class \(roc.class)")
                XCTAssertEqual(curve.thresholds.first, .infinity)
                closeAll(Array(curve.thresholds.dropFirst()), roc.thresholds, "\(c.name): thresholds of class \(roc.class)")
                if let auc = roc.auc { close(Metrics.rocAUC(positive, scores) ?? .nan, auc, "\(c.name): AUC of class \(roc.class)") }
            }
        }
    }

    func testRegressionMetricsMatchScikitLearn() {
        for r in Self.fixture.regression {
            close(Metrics.meanSquaredError(r.y, r.p), r.mse, "\(r.name): mse")
            close(Metrics.meanAbsoluteError(r.y, r.p), r.mae, "\(r.name): mae")
            close(Metrics.r2(r.y, r.p), r.r2, "\(r.name): r2")
        }
        XCTAssertEqual(Metrics.r2([2, 2], [2, 2]), 1)
    }

    func testProbabilitiesAreSoftmaxOfLogits() {
        let p = Metrics.probabilities([[0, 0], [1, 3]])
        XCTAssertEqual(p[0], [0.5, 0.5])
        XCTAssertEqual(p[1][1], 1 / (1 + exp(-2.0)), accuracy: 1e-15)
        XCTAssertEqual(Metrics.probabilities([[0.25, 0.75]]), [[0.25, 0.75]])
    }
}
