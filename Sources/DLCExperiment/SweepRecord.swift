import DLCCore
import DLCFrontend
import Foundation

/// The record of a sweep, `sweeps/<model>-<UTC timestamp>/sweep.json` (written atomically,
/// rewritten as trials finish):
///
/// `{"model", "source", "kind": "grid"|"random", "metric", "goal": "max"|"min", "swept": [names
/// in declaration order], "status": "running"|"finished", "best": trial index or null,
/// "interrupted": true when Ctrl-C ended it, "trials": [{"index", "settings": {name: number|string},
/// "run": "trials/<index>" (relative to the sweep directory), "status":
/// "finished"|"failed"|"running"|"pending", "error": text or null, "metrics": {name: number},
/// "seconds": wall-clock seconds or null}]}`
///
/// Each trial's run directory is an ordinary run directory (see `RunRecorder`).
public struct SweepRecord {
    public struct Trial {
        public enum Status: String { case pending, running, finished, failed }
        public var index: Int
        public var settings: SweepPlan.Settings
        public var status: Status = .pending
        public var error: String?
        /// The run's final metrics (`RunInfo.finalMetrics`: `test_accuracy`, `val_accuracy`, `train_loss`, …).
        public var metrics: [String: Double] = [:]
        public var seconds: Double?

        /// The run directory, relative to the sweep directory.
        public var run: String { "trials/\(index)" }
    }

    public var model: String
    public var source: String
    public var kind: SweepSpec.Kind
    public var metric: String
    public var maximize: Bool
    public var swept: [String]
    public var finished = false
    public var interrupted = false
    public var trials: [Trial]

    public init(model: String, source: String, spec: SweepSpec, trials: [SweepPlan.Settings]) {
        self.model = model
        self.source = source
        kind = spec.kind
        metric = spec.metric
        maximize = spec.maximize
        swept = spec.parameters.map(\.name)
        self.trials = trials.enumerated().map { Trial(index: $0.offset, settings: $0.element) }
    }

    /// The finished trials that report the metric, best first (ties: lower index first).
    public var ranked: [Trial] {
        trials.filter { $0.status == .finished && $0.metrics[metric]?.isFinite == true }.sorted { a, b in
            let x = a.metrics[metric]!, y = b.metrics[metric]!
            return x == y ? a.index < b.index : (maximize ? x > y : x < y)
        }
    }

    /// All trials in table order: ranked ones best first, then the others by index.
    public var ordered: [Trial] {
        let r = ranked
        let rankedIndices = Set(r.map(\.index))
        return r + trials.filter { !rankedIndices.contains($0.index) }
    }

    /// The index of the best trial, if any finished with the metric.
    public var best: Int? { ranked.first?.index }

    /// sweep.json's object.
    public var json: [String: Any] {
        [
            "model": model, "source": source, "kind": kind.rawValue, "metric": metric, "goal": maximize ? "max" : "min",
            "swept": swept, "status": finished ? "finished" : "running", "best": best.map { $0 as Any } ?? NSNull(),
            "interrupted": interrupted,
            "trials": trials.map { t -> [String: Any] in
                [
                    "index": t.index, "run": t.run, "status": t.status.rawValue,
                    "settings": Dictionary(t.settings.map { ($0.name, Self.settingValue($0.value)) }, uniquingKeysWith: { _, b in b }),
                    "error": t.error.map { $0 as Any } ?? NSNull(),
                    "metrics": t.metrics.filter { $0.value.isFinite },
                    "seconds": t.seconds.map { $0 as Any } ?? NSNull(),
                ]
            },
        ]
    }

    /// A setting as sweep.json writes it: a number, or text for anything else.
    static func settingValue(_ v: StaticValue) -> Any {
        switch v {
        case .int(let i): i
        case .float(let d): d
        case .string(let s), .symbol(let s): s
        default: v.description
        }
    }

    /// Writes `sweep.json` into `directory` atomically.
    public func write(to directory: String) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try AtomicFile.write([UInt8](data) + [0x0A], to: directory + "/sweep.json")
    }
}
