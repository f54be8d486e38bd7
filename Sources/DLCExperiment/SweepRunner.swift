import DLCCore
import DLCFrontend
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a sweep's trials are run.
public struct SweepOptions {
    /// The `dlc` executable each trial runs as `dlc train … --run-dir trials/<i> --set NAME=VALUE …`.
    public var executable: String
    /// Arguments before `train` (the global `--plugin` options).
    public var leadingArguments: [String] = []
    /// Trials at once.
    public var jobs: Int
    /// OpenMP threads of each trial (`OMP_NUM_THREADS`): the cores divided among the jobs,
    /// so that concurrent trials do not oversubscribe the machine.
    public var threadsPerTrial: Int
    /// Polled while trials run: true interrupts the running trials (each saves a checkpoint)
    /// and starts no more.
    public var shouldStop: () -> Bool

    public init(executable: String, leadingArguments: [String] = [], jobs: Int, threadsPerTrial: Int,
                shouldStop: @escaping () -> Bool = { false }) {
        self.executable = executable
        self.leadingArguments = leadingArguments
        self.jobs = max(1, jobs)
        self.threadsPerTrial = max(1, threadsPerTrial)
        self.shouldStop = shouldStop
    }
}

/// Runs a sweep's trials as child processes of `dlc train`, up to `jobs` at once. A child
/// isolates its trial: a bad value, a diverging loss or a crash fails that trial only, and
/// the record (`sweep.json`) says why. Each trial's output goes to `trials/<i>/output.log`.
public final class SweepRunner {
    /// The sweep directory.
    public let directory: String
    public private(set) var record: SweepRecord
    let sourcePath: String

    /// A new sweep directory `<parent>/<model>-<UTC YYYYMMDD-HHMMSS>` (with `-2`, `-3`, … when taken).
    public init(parent: String, sourcePath: String, spec: SweepSpec, model: String) throws {
        try AtomicFile.makeDirectory(parent)
        let stamp = Self.utcTimestamp()
        var candidate = "\(parent)/\(model)-\(stamp)", n = 2
        while mkdir(candidate, 0o755) != 0 {
            guard errno == EEXIST else { throw DLCError("cannot create directory '\(candidate)': \(String(cString: strerror(errno)))") }
            candidate = "\(parent)/\(model)-\(stamp)-\(n)"
            n += 1
        }
        directory = candidate
        self.sourcePath = sourcePath.hasPrefix("/") ? sourcePath : FileManager.default.currentDirectoryPath + "/" + sourcePath
        record = SweepRecord(model: model, source: self.sourcePath, spec: spec, trials: SweepPlan.trials(spec))
        try AtomicFile.makeDirectory(directory + "/trials")
        try record.write(to: directory)
    }

    static func utcTimestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    /// The command line of trial `index` (after the executable).
    func arguments(_ index: Int, _ options: SweepOptions) -> [String] {
        let t = record.trials[index]
        return options.leadingArguments + ["train", sourcePath, "--model", record.model, "--run-dir", directory + "/" + t.run, "--json"]
            + t.settings.flatMap { ["--set", "\($0.name)=\($0.value.description)"] }
    }

    /// Runs every trial; `log` gets a line as each one ends. Returns the final record (also in
    /// `sweep.json`, with `status: finished`).
    /// - Throws: `DLCError` when `sweep.json` cannot be written.
    public func run(_ options: SweepOptions, log: (String) -> Void = { _ in }) throws -> SweepRecord {
        let exits = ExitQueue()
        var running: [Int: (process: Process, start: ContinuousClock.Instant)] = [:]
        var next = 0, stopping = false
        let clock = ContinuousClock()
        let count = record.trials.count

        func launch(_ i: Int) throws {
            let dir = directory + "/" + record.trials[i].run
            try AtomicFile.makeDirectory(dir)
            let logPath = dir + "/output.log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil), let out = FileHandle(forWritingAtPath: logPath) else {
                throw DLCError("cannot create '\(logPath)'")
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: options.executable)
            p.arguments = arguments(i, options)
            var env = ProcessInfo.processInfo.environment
            env["OMP_NUM_THREADS"] = "\(options.threadsPerTrial)"
            p.environment = env
            p.standardOutput = out
            p.standardError = out
            p.standardInput = FileHandle.nullDevice
            p.terminationHandler = { _ in exits.post(i) }
            do {
                try p.run()
                running[i] = (p, clock.now)
                record.trials[i].status = .running
            } catch {
                record.trials[i].status = .failed
                record.trials[i].error = "could not start \(options.executable): \(error)"
                log(line(record.trials[i], of: count))
            }
            try? out.close()
            try record.write(to: directory)
        }

        while true {
            if !stopping && options.shouldStop() {
                stopping = true
                record.interrupted = true
                for (_, r) in running { kill(r.process.processIdentifier, SIGINT) }
            }
            while !stopping && running.count < options.jobs && next < count {
                try launch(next)
                next += 1
            }
            if running.isEmpty { break }
            for i in exits.take(waiting: 0.2) {
                guard let r = running.removeValue(forKey: i) else { continue }
                r.process.waitUntilExit()
                finish(i, r.process, seconds: (clock.now - r.start).seconds)
                log(line(record.trials[i], of: count))
                try record.write(to: directory)
            }
        }
        record.finished = true
        try record.write(to: directory)
        return record
    }

    /// Records how trial `i` ended: its run's final metrics, or why it failed.
    func finish(_ i: Int, _ p: Process, seconds: Double) {
        let dir = directory + "/" + record.trials[i].run
        record.trials[i].seconds = seconds
        record.trials[i].metrics = ((try? RunInfo(path: dir))?.finalMetrics ?? [:]).filter { $0.value.isFinite }
        if p.terminationReason == .exit && p.terminationStatus == 0 {
            record.trials[i].status = .finished
            return
        }
        record.trials[i].status = .failed
        let output = (try? String(contentsOfFile: dir + "/output.log", encoding: .utf8)) ?? ""
        let lines = output.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var cause = lines.last(where: { $0.hasPrefix("error:") || $0.contains(": error:") }) ?? lines.last ?? ""
        if cause.hasPrefix("error: ") { cause = String(cause.dropFirst("error: ".count)) }
        if p.terminationReason == .uncaughtSignal {
            record.trials[i].error = "killed by signal \(p.terminationStatus)" + (cause.isEmpty ? "" : " (\(cause))")
        } else if p.terminationStatus == 130 {
            record.trials[i].error = "interrupted (checkpoint saved; continue with dlc train --resume \(dir))"
        } else {
            record.trials[i].error = cause.isEmpty ? "exited with status \(p.terminationStatus)" : cause
        }
    }

    /// "trial 3 of 8 finished in 4.1s: lr 0.05, hidden 64 → val_accuracy 0.9722" (trials are
    /// numbered from 0, as their directories `trials/<index>`).
    func line(_ t: SweepRecord.Trial, of count: Int) -> String {
        let settings = t.settings.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
        let time = t.seconds.map { " in \(($0 * 10).rounded() / 10)s" } ?? ""
        switch t.status {
        case .finished:
            let value = t.metrics[record.metric].map { " → \(record.metric) \(Self.short($0))" } ?? " (no \(record.metric) reported)"
            return "trial \(t.index) of \(count) finished\(time): \(settings)\(value)"
        default:
            return "trial \(t.index) of \(count) failed\(time): \(settings): \(t.error ?? "unknown cause")"
        }
    }

    static func short(_ v: Double) -> String { "\((v * 10000).rounded() / 10000)" }
}

/// The trials whose processes ended, posted from Foundation's termination handlers (another
/// thread) and taken by the sweep's loop.
private final class ExitQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private var ended: [Int] = []

    func post(_ index: Int) {
        lock.lock(); ended.append(index); lock.unlock()
        wake.signal()
    }

    /// The trials that ended, after waiting up to `seconds` for one.
    func take(waiting seconds: Double) -> [Int] {
        _ = wake.wait(timeout: .now() + seconds)
        lock.lock(); defer { lock.unlock() }
        let out = ended
        ended = []
        return out
    }
}
