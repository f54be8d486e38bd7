import DLCCore
import DLCData
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The directory of one training run, `runs/<model>-<YYYYMMDD-HHMMSS>/`:
///
/// | file | content |
/// |---|---|
/// | `settings.json` | the resolved settings (after command-line overrides), the overrides, the source path |
/// | `<name>.dlg` | a copy of the source |
/// | `environment.json` | dlc version, git commit of the working directory (if any), host name, cores, start time |
/// | `metrics.csv` | one row per epoch |
/// | `metrics.jsonl` | one JSON object per step (`"kind":"step"`: step, epoch, loss, lr) and per epoch (`"kind":"epoch"`) |
/// | `checkpoints/step-N.safetensors` | the last two checkpoints (see `Checkpoint`) |
/// | `weights.safetensors` | the final parameters of the model (names = parameter names) |
/// | `best.safetensors` | the parameters at the best validation epoch |
/// | `summary.json` | when the run ends: epochs, best epoch and value, test metrics, seconds |
/// | `preprocessing.json` | the preprocessing fitted on the training split (`FittedPreprocessing`), re-applied by `dlc eval` and `--resume` |
/// | `test_metrics.json` | the test split's full report (confusion matrix, per-class metrics, ROC curves) |
/// | `graph.svg` | the model's diagram (as `dlc render` draws it) |
/// | `status` | `running`, `finished`, `failed: MESSAGE` or `interrupted` |
public final class RunRecorder {
    public let path: String
    /// The name of the diagram file in a run directory.
    public static let diagramFile = "graph.svg"

    /// The metric columns of `metrics.csv` after `epoch,loss,train_accuracy`.
    let columns: [String]

    /// Creates a new run directory under `runsDirectory` (created if missing), or at `path`
    /// exactly when it is given (a sweep's trial; it must not hold a run already).
    public init(runsDirectory: String, path exact: String? = nil, model: String, settings: [String: Any], source: SourceFile,
                environment: [String: Any], columns: [String]) throws {
        if let exact {
            try AtomicFile.makeDirectory(exact)
            guard !FileManager.default.fileExists(atPath: exact + "/settings.json") else {
                throw DLCError("'\(exact)' holds a run already")
            }
            path = exact
        } else {
            try AtomicFile.makeDirectory(runsDirectory)
            let stamp = Self.timestamp()
            var candidate = "\(runsDirectory)/\(model)-\(stamp)"
            var n = 2
            while mkdir(candidate, 0o755) != 0 {
                guard errno == EEXIST else { throw DLCError("cannot create directory '\(candidate)': \(String(cString: strerror(errno)))") }
                candidate = "\(runsDirectory)/\(model)-\(stamp)-\(n)"
                n += 1
            }
            path = candidate
        }
        self.columns = columns
        try AtomicFile.makeDirectory(path + "/checkpoints")
        var s = settings
        s["columns"] = columns
        try writeJSON(s, to: "settings.json")
        try writeJSON(environment, to: "environment.json")
        let base = source.path.split(separator: "/").last.map(String.init) ?? "model.dlg"
        try AtomicFile.write(source.bytes, to: "\(path)/\(base)")
        try AtomicFile.write(Array(("epoch,loss,train_accuracy" + columns.map { "," + $0 }.joined() + ",seconds\n").utf8),
                             to: path + "/metrics.csv")
        try AtomicFile.write([], to: path + "/metrics.jsonl")
        try setStatus("running")
    }

    /// Reopens a run directory to resume it at `checkpoint`: the metrics files are cut back to
    /// what the checkpoint has seen (steps after it are run again).
    public init(resuming path: String, checkpoint: Checkpoint.Position) throws {
        self.path = path
        let settings = try Self.readJSON(path + "/settings.json")
        columns = settings["columns"] as? [String] ?? []
        var csv = "epoch,loss,train_accuracy" + columns.map { "," + $0 }.joined() + ",seconds\n"
        for r in checkpoint.records { csv += csvRow(r) }
        try AtomicFile.write(Array(csv.utf8), to: path + "/metrics.csv")
        let lines = (try? String(contentsOfFile: path + "/metrics.jsonl", encoding: .utf8))?.split(separator: "\n") ?? []
        let kept = lines.filter { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
            if o["kind"] as? String == "step" { return (o["step"] as? Int ?? .max) <= checkpoint.step }
            return (o["epoch"] as? Int ?? .max) <= checkpoint.records.count
        }
        try AtomicFile.write(Array(kept.map { $0 + "\n" }.joined().utf8), to: path + "/metrics.jsonl")
        try setStatus("running")
    }

    public static func readJSON(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DLCError("cannot read '\(path)' as a JSON object")
        }
        return o
    }

    static func timestamp() -> String {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
        return date + "-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    func writeJSON(_ object: Any, to name: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try AtomicFile.write([UInt8](data) + [0x0A], to: "\(path)/\(name)")
    }

    public func setStatus(_ status: String) throws {
        try AtomicFile.write(Array((status + "\n").utf8), to: path + "/status")
    }

    /// Runs a training loop and records how it ended: `finished`, `interrupted`, or
    /// `failed: …` with the error (which is thrown on).
    static func recordingStatus<T>(of recorder: RunRecorder?, _ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            try recorder?.setStatus("finished")
            return result
        } catch let e as TrainInterrupted {
            try? recorder?.setStatus("interrupted")
            throw e
        } catch let e as DLCError {
            try? recorder?.setStatus("failed: " + e.message)
            throw e
        } catch {
            try? recorder?.setStatus("failed: \(error)")
            throw error
        }
    }

    private func append(_ text: String, to name: String) {
        guard let f = fopen("\(path)/\(name)", "a") else { return }
        fputs(text, f)
        fclose(f)
    }

    static func number(_ v: Double?) -> String {
        guard let v else { return "" }
        return v.isFinite ? "\(v)" : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
    }

    func csvRow(_ r: EpochRecord) -> String {
        var row = "\(r.epoch),\(Self.number(r.loss)),\(Self.number(r.trainAccuracy))"
        for c in columns { row += "," + Self.number(r.metrics[c]) }
        return row + ",\(r.seconds)\n"
    }

    func jsonLine(_ fields: [(String, Any)]) -> String {
        "{" + fields.map { k, v -> String in
            let value: String
            switch v {
            case let d as Double: value = d.isFinite ? "\(d)" : "null"
            case let s as String: value = "\"\(s)\""
            default: value = "\(v)"
            }
            return "\"\(k)\":\(value)"
        }.joined(separator: ",") + "}\n"
    }

    /// One line per training step; `name` is the train step's name in a section with steps.
    func recordStep(step: Int, epoch: Int, loss: Double, lr: Double, name: String? = nil) {
        var fields: [(String, Any)] = [("kind", "step"), ("step", step), ("epoch", epoch)]
        if let name { fields.append(("name", name)) }
        append(jsonLine(fields + [("loss", loss), ("lr", lr)]), to: "metrics.jsonl")
    }

    func recordEpoch(_ r: EpochRecord) {
        append(csvRow(r), to: "metrics.csv")
        var fields: [(String, Any)] = [("kind", "epoch"), ("epoch", r.epoch), ("loss", r.loss)]
        if let a = r.trainAccuracy { fields.append(("train_accuracy", a)) }
        for k in r.metrics.keys.sorted() { fields.append((k, r.metrics[k]!)) }
        fields.append(("seconds", r.seconds))
        append(jsonLine(fields), to: "metrics.jsonl")
    }

    /// Writes `checkpoints/step-N.safetensors` atomically and removes all but the newest two.
    func saveCheckpoint(_ c: Checkpoint) throws {
        let name = String(format: "step-%09d.safetensors", c.position.step)
        try AtomicFile.write(try c.encode(), to: "\(path)/checkpoints/\(name)")
        for old in Checkpoint.files(in: path).dropFirst(2) { unlink(old) }
    }

    /// Writes `graph.svg`.
    func saveDiagram(_ svg: [UInt8]) throws {
        try AtomicFile.write(svg, to: "\(path)/\(Self.diagramFile)")
    }

    func saveWeights(_ tensors: [String: HostTensor], as name: String) throws {
        try Safetensors.write(tensors, to: "\(path)/\(name)")
    }

    /// The environment: dlc's version, the git commit of the current directory (when git is
    /// installed and it is a repository), the host name and the number of cores.
    public static func environment(version: String) -> [String: Any] {
        var env: [String: Any] = ["dlc_version": version, "hostname": ProcessInfo.processInfo.hostName,
                                  "cores": ProcessInfo.processInfo.activeProcessorCount,
                                  "os": ProcessInfo.processInfo.operatingSystemVersionString,
                                  "started": ISO8601DateFormatter().string(from: Date())]
        if let commit = gitCommit() { env["git_commit"] = commit }
        return env
    }

    static func gitCommit() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        let candidates: [String] = paths.map { String($0) + "/git" }
        guard let git = candidates.first(where: { access($0, X_OK) == 0 }) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: git)
        p.arguments = ["rev-parse", "HEAD"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
