import DLCCore
import Foundation

/// What a report reads of a sweep directory: its `sweep.json` as `dlc sweep` writes it (see docs/cli.md): the model,
/// the search, the metric and its goal, the swept settings, and each trial with its settings,
/// status, metrics and run directory (`trials/<index>/`, an ordinary run directory).
public struct SweepReportData {
    public enum SettingValue: Equatable, CustomStringConvertible {
        case number(Double)
        case text(String)

        public var description: String {
            switch self {
            case .number(let v): HTML.number(v)
            case .text(let s): s
            }
        }
    }

    public struct Trial {
        public var index: Int
        public var settings: [String: SettingValue]
        /// The trial's run directory, relative to the sweep directory.
        public var run: String
        /// `finished`, `failed`, `running` or `pending`.
        public var status: String
        public var error: String?
        public var metrics: [String: Double]
        public var seconds: Double?
    }

    public var path: String
    public var model: String
    public var source: String
    /// `grid` or `random`.
    public var kind: String
    public var metric: String
    /// `max` or `min`.
    public var goal: String
    public var swept: [String]
    /// `running`, `finished`, or `interrupted` (when `"interrupted": true`: Ctrl-C ended the sweep).
    public var status: String
    public var best: Int?
    public var trials: [Trial]

    /// Whether a directory is a sweep directory (has a sweep.json).
    public static func isSweep(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/sweep.json")
    }

    /// Reads `path/sweep.json`.
    /// - Throws: `DLCError` naming the file and the field when it is missing or malformed.
    public init(path: String) throws {
        self.path = path
        let file = path + "/sweep.json"
        let o = try RunRecorder.readJSON(file)
        func field<T>(_ key: String, _ type: T.Type) throws -> T {
            guard let v = o[key] as? T else { throw DLCError("\(file): missing or malformed \"\(key)\"") }
            return v
        }
        model = try field("model", String.self)
        source = o["source"] as? String ?? ""
        kind = o["kind"] as? String ?? "?"
        metric = try field("metric", String.self)
        goal = o["goal"] as? String ?? "max"
        guard goal == "max" || goal == "min" else { throw DLCError("\(file): \"goal\" must be \"max\" or \"min\", found \"\(goal)\"") }
        swept = try field("swept", [String].self)
        status = o["status"] as? String ?? "?"
        if o["interrupted"] as? Bool == true { status = "interrupted" }
        best = o["best"] as? Int
        trials = try field("trials", [[String: Any]].self).enumerated().map { k, t in
            guard let index = t["index"] as? Int else { throw DLCError("\(file): trial \(k) has no \"index\"") }
            var settings: [String: SettingValue] = [:]
            for (name, value) in t["settings"] as? [String: Any] ?? [:] {
                if let s = value as? String { settings[name] = .text(s) } else if let d = value as? Double { settings[name] = .number(d) }
            }
            var metrics: [String: Double] = [:]
            for (name, value) in t["metrics"] as? [String: Any] ?? [:] { if let d = value as? Double { metrics[name] = d } }
            return Trial(index: index, settings: settings, run: t["run"] as? String ?? "trials/\(index)",
                         status: t["status"] as? String ?? "?", error: t["error"] as? String, metrics: metrics,
                         seconds: t["seconds"] as? Double)
        }
    }

    /// The trials ordered best first by the metric; those without it (failed, pending) last,
    /// in index order.
    public var ranked: [Trial] {
        let scored = trials.filter { $0.metrics[metric]?.isFinite == true }
            .sorted { a, b in
                let x = a.metrics[metric]!, y = b.metrics[metric]!
                return x != y ? (goal == "max" ? x > y : x < y) : a.index < b.index
            }
        return scored + trials.filter { $0.metrics[metric]?.isFinite != true }.sorted { $0.index < $1.index }
    }
}
