import DLCCore
import Foundation

extension ModelEvaluationResult {
    /// The table `dlc eval` prints: the metrics; for classification also per-class precision,
    /// recall, F1 and support with their macro and micro averages, and the confusion matrix.
    public func table() -> String {
        let e = evaluation
        var out = "evaluated \(model) (\(weights)) on \(data): \(Formatting.grouped(e.count)) examples\n"
        out += "preprocessing: \(preprocessing)\n\n"
        let metrics = e.metrics(metricNames)
        let width = metrics.map(\.name.count).max() ?? 0
        for (name, value) in metrics { out += name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(Self.short(value))\n" }
        let report = e.report(metricNames)
        guard e.isClassification, let perClass = report["per_class"] as? [String: Any],
              let precision = perClass["precision"] as? [Double], let recall = perClass["recall"] as? [Double],
              let f1 = perClass["f1"] as? [Double], let support = perClass["support"] as? [Int],
              let averages = report["averages"] as? [String: Double], let confusion = report["confusion"] as? [[Int]] else { return out }
        var rows = [["class", "precision", "recall", "f1", "support"]]
        for k in precision.indices {
            rows.append(["\(k)", Self.short(precision[k]), Self.short(recall[k]), Self.short(f1[k]), "\(support[k])"])
        }
        let total = support.reduce(0, +)
        for kind in ["macro", "micro"] {
            rows.append([kind, Self.short(averages[kind + "_precision"] ?? .nan), Self.short(averages[kind + "_recall"] ?? .nan),
                         Self.short(averages[kind + "_f1"] ?? .nan), "\(total)"])
        }
        out += "\n" + Self.align(rows)
        out += "\nconfusion matrix (rows: true class, columns: predicted class)\n"
        out += Self.align([[""] + confusion.indices.map { "\($0)" }] + confusion.enumerated().map { ["\($0.offset)"] + $0.element.map { "\($0)" } },
                          right: true)
        return out
    }

    /// The whole report as one line of JSON: model, data, weights, examples, metrics and (for
    /// classification) per-class metrics, averages, the confusion matrix and ROC curves.
    public func jsonLine() -> String {
        var o = evaluation.report(metricNames)
        o["model"] = model
        o["data"] = data
        o["weights"] = weights
        o["preprocessing"] = preprocessing
        let data = (try? JSONSerialization.data(withJSONObject: Self.finite(o), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Non-finite numbers become null (JSON has no NaN).
    static func finite(_ v: Any) -> Any {
        switch v {
        case let d as Double: return d.isFinite ? d : NSNull()
        case let a as [Any]: return a.map(finite)
        case let o as [String: Any]: return o.mapValues(finite)
        default: return v
        }
    }

    static func short(_ v: Double) -> String { v.isFinite ? "\((v * 10000).rounded() / 10000)" : "-" }

    static func align(_ rows: [[String]], right: Bool = false) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return right && c > 0 ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }
}
