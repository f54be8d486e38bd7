import Foundation

/// Classification metrics, defined as scikit-learn defines them (and checked against it in
/// `MetricsTests`): labels are class indices `0..<classes`, scores are one row per example.
extension Metrics {
    /// The index of each row's largest score (the first, on ties).
    public static func argmax(_ scores: [[Double]]) -> [Int] {
        scores.map { row in
            var best = 0
            for j in row.indices where row[j] > row[best] { best = j }
            return best
        }
    }

    /// The fraction of predictions equal to their label (0 for no examples).
    public static func accuracy(_ labels: [Int], _ predicted: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(labels, predicted).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// `m[i][j]`: examples of class `i` predicted as `j` (sklearn's `confusion_matrix`).
    public static func confusionMatrix(_ labels: [Int], _ predicted: [Int], classes: Int) -> [[Int]] {
        var m = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (y, p) in zip(labels, predicted) where y >= 0 && y < classes && p >= 0 && p < classes { m[y][p] += 1 }
        return m
    }

    /// Precision, recall and F1 of each class, and their macro (unweighted mean over classes)
    /// and micro (from the pooled counts) averages. A ratio with a zero denominator is 0
    /// (sklearn's `zero_division="warn"`).
    public struct ClassReport: Equatable, Sendable, Codable {
        public var precision: [Double]
        public var recall: [Double]
        public var f1: [Double]
        public var support: [Int]
        public var macroPrecision: Double
        public var macroRecall: Double
        public var macroF1: Double
        public var microPrecision: Double
        public var microRecall: Double
        public var microF1: Double
    }

    public static func classReport(confusion m: [[Int]]) -> ClassReport {
        let c = m.count
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        func f1(_ tp: Int, _ fp: Int, _ fn: Int) -> Double { ratio(2 * tp, 2 * tp + fp + fn) }
        var p: [Double] = [], r: [Double] = [], f: [Double] = [], support: [Int] = []
        var tpAll = 0, fpAll = 0, fnAll = 0
        for k in 0..<c {
            let tp = m[k][k]
            let fp = (0..<c).reduce(0) { $0 + m[$1][k] } - tp
            let fn = m[k].reduce(0, +) - tp
            p.append(ratio(tp, tp + fp)); r.append(ratio(tp, tp + fn)); f.append(f1(tp, fp, fn))
            support.append(tp + fn)
            tpAll += tp; fpAll += fp; fnAll += fn
        }
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        return ClassReport(precision: p, recall: r, f1: f, support: support,
                           macroPrecision: mean(p), macroRecall: mean(r), macroF1: mean(f),
                           microPrecision: ratio(tpAll, tpAll + fpAll), microRecall: ratio(tpAll, tpAll + fnAll),
                           microF1: f1(tpAll, fpAll, fnAll))
    }

    /// A ROC curve: false- and true-positive rates at each threshold, highest threshold first,
    /// starting at (0, 0) with threshold +∞; with `dropIntermediate` (sklearn's default) the
    /// points on a straight segment are dropped.
    public struct ROCCurve: Equatable, Sendable, Codable {
        public var fpr: [Double]
        public var tpr: [Double]
        public var thresholds: [Double]
    }

    /// sklearn's `roc_curve(y_true, y_score)` for binary labels (1 = positive).
    public static func rocCurve(_ positive: [Bool], _ scores: [Double], dropIntermediate: Bool = true) -> ROCCurve {
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var fps: [Double] = [], tps: [Double] = [], thresholds: [Double] = []
        var tp = 0.0, fp = 0.0
        for (k, i) in order.enumerated() {
            if positive[i] { tp += 1 } else { fp += 1 }
            // One point per distinct score: after the last example with that score.
            if k == order.count - 1 || scores[order[k + 1]] != scores[i] {
                tps.append(tp); fps.append(fp); thresholds.append(scores[i])
            }
        }
        if dropIntermediate && fps.count > 2 {
            var keep = [0]
            for i in 1..<(fps.count - 1) {
                let d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1], d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1]
                if d2f != 0 || d2t != 0 { keep.append(i) }
            }
            keep.append(fps.count - 1)
            fps = keep.map { fps[$0] }; tps = keep.map { tps[$0] }; thresholds = keep.map { thresholds[$0] }
        }
        fps.insert(0, at: 0); tps.insert(0, at: 0); thresholds.insert(.infinity, at: 0)
        let n = fps.last!, p = tps.last!
        return ROCCurve(fpr: fps.map { n > 0 ? $0 / n : .nan }, tpr: tps.map { p > 0 ? $0 / p : .nan }, thresholds: thresholds)
    }

    /// The area under a curve by the trapezoidal rule.
    public static func trapezoid(x: [Double], y: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        var area = 0.0
        for i in 1..<x.count {
            let width: Double = x[i] - x[i - 1]
            let height: Double = (y[i] + y[i - 1]) / 2
            area += width * height
        }
        return area
    }

    /// sklearn's `roc_auc_score` for binary labels (nil when only one class is present).
    public static func rocAUC(_ positive: [Bool], _ scores: [Double]) -> Double? {
        guard positive.contains(true), positive.contains(false) else { return nil }
        let c = rocCurve(positive, scores, dropIntermediate: false)
        return trapezoid(x: c.fpr, y: c.tpr)
    }

    /// One-vs-rest AUC of each class (nil for a class absent from, or the only one in, the labels)
    /// and their macro average over the classes that have one — sklearn's
    /// `roc_auc_score(y, probs, multi_class="ovr")` when every class is present.
    public static func rocAUCOneVsRest(_ labels: [Int], _ probs: [[Double]]) -> (perClass: [Double?], macro: Double?) {
        let c = probs.first?.count ?? 0
        if c == 2 {
            let a = rocAUC(labels.map { $0 == 1 }, probs.map { $0[1] })
            return ([a, a], a)
        }
        let per = (0..<c).map { k in rocAUC(labels.map { $0 == k }, probs.map { $0[k] }) }
        let have = per.compactMap { $0 }
        return (per, have.isEmpty ? nil : have.reduce(0, +) / Double(have.count))
    }

    /// sklearn's `log_loss`: rows are renormalized to sum to 1 after clipping to
    /// [ε, 1 − ε] (ε the f64 machine epsilon); the mean of −log p(label).
    public static func logLoss(_ labels: [Int], _ probs: [[Double]]) -> Double {
        guard !labels.isEmpty else { return 0 }
        let eps = Double.ulpOfOne
        var sum = 0.0
        for (y, row) in zip(labels, probs) {
            let clipped = row.map { min(max($0, eps), 1 - eps) }
            let total = clipped.reduce(0, +)
            sum -= log(clipped[y] / total)
        }
        return sum / Double(labels.count)
    }

    /// Row-wise softmax (for scores that are logits), computed stably.
    public static func softmax(_ scores: [[Double]]) -> [[Double]] {
        scores.map { row in
            let m = row.max() ?? 0
            let e = row.map { exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }

    /// The scores as probabilities: unchanged when every row is non-negative and sums to 1
    /// (within 1e-4), else their softmax.
    public static func probabilities(_ scores: [[Double]]) -> [[Double]] {
        let already = scores.allSatisfy { row in row.allSatisfy { $0 >= 0 } && abs(row.reduce(0, +) - 1) < 1e-4 }
        return already ? scores : softmax(scores)
    }
}
