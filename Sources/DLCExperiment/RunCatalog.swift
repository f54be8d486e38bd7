import DLCCore
import Foundation

/// A recorded run as `dlc runs` shows it, read from its directory.
public struct RunInfo {
    public var name: String
    public var path: String
    public var model: String
    /// `started` of environment.json (ISO 8601), else "".
    public var date: String
    /// The first line of `status`.
    public var status: String
    /// The flat settings (values as text).
    public var settings: [String: String]
    /// summary.json (empty while running or after a failure).
    public var summary: [String: Any]
    /// The epoch rows of metrics.csv, by column.
    public var epochs: [[String: String]]

    /// The monitored value at its best epoch ("val_accuracy 0.9722 @ 7"), or "-".
    public var best: String {
        if let b = summary["best"] as? Double, let m = summary["monitor"] as? String {
            return "\(m) \(RunInfo.short(b)) @ \(summary["best_epoch"] as? Int ?? 0)"
        }
        // A run in progress or stopped: the last epoch's loss.
        if let last = epochs.last, let loss = last["loss"], let v = Double(loss) { return "loss \(RunInfo.short(v)) @ \(last["epoch"] ?? "?")" }
        return "-"
    }

    /// The final metrics: test metrics as `test_<name>`, the last epoch's training loss and
    /// validation metrics.
    public var finalMetrics: [String: Double] {
        var m: [String: Double] = [:]
        for (k, v) in summary["test"] as? [String: Double] ?? [:] { m["test_" + k] = v }
        for (k, v) in summary where k.hasPrefix("final_") { if let d = v as? Double { m[String(k.dropFirst(6))] = d } }
        if let s = summary["seconds"] as? Double { m["seconds"] = s }
        if summary.isEmpty, let last = epochs.last {
            for (k, v) in last where k != "epoch" { if let d = Double(v) { m[k == "loss" ? "train_loss" : k] = d } }
        }
        return m
    }

    static func short(_ v: Double) -> String {
        let r = (v * 10000).rounded() / 10000
        return "\(r)"
    }

    public init(path: String) throws {
        self.path = path
        name = path.split(separator: "/").last.map(String.init) ?? path
        let settingsObject = try RunRecorder.readJSON(path + "/settings.json")
        model = settingsObject["model"] as? String ?? "?"
        var flat: [String: String] = [:]
        for (k, v) in settingsObject["settings"] as? [String: Any] ?? [:] {
            if let list = v as? [Any] { flat[k] = "[" + list.map { "\($0)" }.joined(separator: ", ") + "]" } else { flat[k] = "\(v)" }
        }
        settings = flat
        let environment = (try? RunRecorder.readJSON(path + "/environment.json")) ?? [:]
        date = environment["started"] as? String ?? ""
        status = ((try? String(contentsOfFile: path + "/status", encoding: .utf8)) ?? "unknown")
            .split(separator: "\n").first.map(String.init) ?? "unknown"
        summary = (try? RunRecorder.readJSON(path + "/summary.json")) ?? [:]
        let csv = ((try? String(contentsOfFile: path + "/metrics.csv", encoding: .utf8)) ?? "").split(separator: "\n")
        let header = csv.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        epochs = csv.dropFirst().map { line in
            var row: [String: String] = [:]
            for (k, v) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) where !v.isEmpty { row[k] = String(v) }
            return row
        }
    }

    /// The metrics.csv columns, in file order.
    public var columns: [String] {
        let csv = ((try? String(contentsOfFile: path + "/metrics.csv", encoding: .utf8)) ?? "").split(separator: "\n")
        return csv.first.map { $0.split(separator: ",").map(String.init) } ?? []
    }

    /// The runs in a directory (those with a settings.json), oldest first.
    public static func all(in directory: String) -> [RunInfo] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { try? RunInfo(path: directory + "/" + $0) }
            .sorted { ($0.date, $0.name) < ($1.date, $1.name) }
    }

    /// A run named on the command line: a directory path, or a run's name in `runsDirectory`.
    public static func resolve(_ run: String, runsDirectory: String) throws -> RunInfo {
        var isDirectory: ObjCBool = false
        for candidate in [run, runsDirectory + "/" + run] {
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue,
               FileManager.default.fileExists(atPath: candidate + "/settings.json") {
                return try RunInfo(path: candidate)
            }
        }
        throw DLCError("no run '\(run)' (neither a run directory nor a run in \(runsDirectory))")
    }
}

