import DLCCore
import Foundation

/// Everything a report shows about one run, read from its directory (see `RunRecorder` for
/// the files). Files a run does not have (yet) — a running or failed run has no summary or
/// test metrics — are simply absent.
public struct RunReportData {
    public var info: RunInfo
    /// environment.json.
    public var environment: [String: Any]
    /// settings.json's command-line overrides and the path of the source trained.
    public var overrides: [String: Any]
    public var sourcePath: String?
    /// The per-step lines of metrics.jsonl.
    public var steps: [(step: Int, epoch: Int, loss: Double, lr: Double)]
    /// The train step's name of each entry of `steps` in a section with steps (`d`, `g`);
    /// nil for a model's own training.
    public var stepNames: [String?] = []
    /// The per-epoch rows of metrics.csv, parsed (missing or unparsable cells left out).
    public var epochs: [[String: Double]]
    /// The columns of metrics.csv, in file order.
    public var columns: [String]
    /// test_metrics.json: the test split's evaluation with the final weights.
    public var test: TestEvaluation?
    /// graph.svg, the model's diagram written by `dlc train`.
    public var diagramSVG: String?

    /// The test split's evaluation as `test_metrics.json` holds it (`Evaluation.report`).
    public struct TestEvaluation {
        public var examples: Int
        public var metrics: [String: Double]
        public var confusion: [[Int]]?
        public var perClass: (precision: [Double], recall: [Double], f1: [Double], support: [Int])?
        public var averages: [String: Double]
        public var roc: [(label: Int, fpr: [Double], tpr: [Double], auc: Double)]

        /// Reads the object of `test_metrics.json`; missing parts stay empty.
        public init(json o: [String: Any]) {
            examples = o["examples"] as? Int ?? 0
            metrics = Self.doubles(o["metrics"])
            confusion = (o["confusion"] as? [[Any]])?.map { $0.map { ($0 as? Int) ?? 0 } }
            if let p = o["per_class"] as? [String: Any] {
                func list(_ k: String) -> [Double] { (p[k] as? [Any] ?? []).map { ($0 as? Double) ?? .nan } }
                perClass = (list("precision"), list("recall"), list("f1"), (p["support"] as? [Any] ?? []).map { ($0 as? Int) ?? 0 })
            }
            averages = Self.doubles(o["averages"])
            roc = (o["roc"] as? [[String: Any]] ?? []).map { c in
                func list(_ k: String) -> [Double] { (c[k] as? [Any] ?? []).map { ($0 as? Double) ?? .nan } }
                return (c["class"] as? Int ?? 0, list("fpr"), list("tpr"), c["auc"] as? Double ?? .nan)
            }
        }

        static func doubles(_ o: Any?) -> [String: Double] {
            var out: [String: Double] = [:]
            for (k, v) in o as? [String: Any] ?? [:] { if let d = v as? Double { out[k] = d } }
            return out
        }
    }

    /// Reads the run directory at `path`.
    /// - Throws: `DLCError` when it is not a run directory (no readable settings.json).
    public init(path: String) throws {
        info = try RunInfo(path: path)
        environment = (try? RunRecorder.readJSON(path + "/environment.json")) ?? [:]
        let settings = try RunRecorder.readJSON(path + "/settings.json")
        overrides = settings["overrides"] as? [String: Any] ?? [:]
        sourcePath = settings["source_path"] as? String
        columns = info.columns
        epochs = info.epochs.map { row in
            var parsed: [String: Double] = [:]
            for (k, v) in row { if let d = Double(v) { parsed[k] = d } }
            return parsed
        }
        steps = []
        let text = (try? String(contentsOfFile: path + "/metrics.jsonl", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["kind"] as? String == "step", let step = o["step"] as? Int else { continue }
            steps.append((step, o["epoch"] as? Int ?? 0, o["loss"] as? Double ?? .nan, o["lr"] as? Double ?? .nan))
            stepNames.append(o["name"] as? String)
        }
        test = (try? RunRecorder.readJSON(path + "/test_metrics.json")).map(TestEvaluation.init(json:))
        diagramSVG = (try? String(contentsOfFile: path + "/" + RunRecorder.diagramFile, encoding: .utf8))
    }
}
