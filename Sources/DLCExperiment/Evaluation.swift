import DLCCore

/// A model's predictions on a data set (inference mode) and the metrics computed from them.
public struct Evaluation {
    /// Examples evaluated.
    public var count: Int
    /// The model's mean loss (nil when it has none).
    public var loss: Double?
    /// The prediction output's rows (nil when the model has no prediction output).
    public var scores: [[Double]]?
    /// The targets: one value per example for class labels, or each example's row flattened.
    public var targets: [[Double]]
    /// Whether the targets are class labels (integer labels and a prediction of ≥ 2 columns).
    public var isClassification: Bool

    public var labels: [Int] { targets.map { Int($0.first ?? -1) } }

    /// The metrics of the train section's `metrics:` list that apply, in the list's order
    /// (`loss` first when the model has one): `accuracy`; `precision`, `recall`, `f1` (macro
    /// averages); `auc`/`roc_auc` (one-vs-rest macro, binary AUC for two classes); `log_loss`;
    /// `mse`, `mae`, `r2`. `confusion` has no single number (it is in `report`).
    public func metrics(_ names: [String]) -> [(name: String, value: Double)] {
        var out: [(String, Double)] = []
        if let loss { out.append(("loss", loss)) }
        guard let scores, count > 0 else { return out }
        if isClassification {
            let classes = scores.first?.count ?? 0
            let predicted = Metrics.argmax(scores)
            let y = labels
            var report: Metrics.ClassReport {
                Metrics.classReport(confusion: Metrics.confusionMatrix(y, predicted, classes: classes))
            }
            for name in names {
                switch name {
                case "accuracy": out.append((name, Metrics.accuracy(y, predicted)))
                case "precision": out.append((name, report.macroPrecision))
                case "recall": out.append((name, report.macroRecall))
                case "f1": out.append((name, report.macroF1))
                case "auc", "roc_auc":
                    if let a = Metrics.rocAUCOneVsRest(y, Metrics.probabilities(scores)).macro { out.append((name, a)) }
                case "log_loss": out.append((name, Metrics.logLoss(y, Metrics.probabilities(scores))))
                default: break
                }
            }
        } else {
            let y = targets.flatMap { $0 }, p = scores.flatMap { $0 }
            guard y.count == p.count else { return out }
            for name in names {
                switch name {
                case "mse": out.append((name, Metrics.meanSquaredError(y, p)))
                case "mae": out.append((name, Metrics.meanAbsoluteError(y, p)))
                case "r2": out.append((name, Metrics.r2(y, p)))
                default: break
                }
            }
        }
        return out
    }

    /// Everything, for `test_metrics.json`: the metrics, and for classification the
    /// confusion matrix, per-class precision/recall/F1 and one-vs-rest ROC curves.
    public func report(_ names: [String]) -> [String: Any] {
        var r: [String: Any] = ["examples": count]
        var m: [String: Double] = [:]
        for (k, v) in metrics(names) { m[k] = v }
        r["metrics"] = m
        if isClassification, let scores {
            let classes = scores.first?.count ?? 0
            let y = labels
            let confusion = Metrics.confusionMatrix(y, Metrics.argmax(scores), classes: classes)
            let c = Metrics.classReport(confusion: confusion)
            r["confusion"] = confusion
            r["per_class"] = ["precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.support]
            r["averages"] = ["macro_precision": c.macroPrecision, "macro_recall": c.macroRecall, "macro_f1": c.macroF1,
                             "micro_precision": c.microPrecision, "micro_recall": c.microRecall, "micro_f1": c.microF1]
            let probs = Metrics.probabilities(scores)
            var curves: [[String: Any]] = []
            for k in 0..<classes where classes > 2 || k == 1 {
                let positive = y.map { $0 == k }
                guard positive.contains(true), positive.contains(false) else { continue }
                let curve = Metrics.rocCurve(positive, probs.map { $0[k] })
                curves.append(["class": k, "fpr": curve.fpr, "tpr": curve.tpr,
                               "auc": Metrics.rocAUC(positive, probs.map { $0[k] }) ?? 0])
            }
            r["roc"] = curves
        }
        return r
    }
}
