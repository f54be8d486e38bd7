import ArgumentParser
import DLCCore
import DLCExperiment

/// `dlc runs`: the recorded training runs.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and compare recorded training runs.",
        discussion: "A RUN is a run directory, or the name of a run in the runs directory. Exit status: 0, or 1 for a run that does not exist.",
        subcommands: [List.self, Show.self, Compare.self],
        defaultSubcommand: List.self)

    struct Location: ParsableArguments {
        @Option(help: "The directory runs are recorded in.")
        var runsDir = "runs"
    }

    /// Columns padded to their widest cell.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: width)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func fail(_ e: Error) -> ExitCode {
        FileHandle.standardError.write("error: \((e as? DLCError)?.message ?? "\(e)")\n")
        return ExitCode(1)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the runs: name, date, status, best metric.")
        @OptionGroup var location: Location

        func run() throws {
            let runs = RunInfo.all(in: location.runsDir)
            guard !runs.isEmpty else {
                FileHandle.standardOutput.write("no runs in \(location.runsDir)\n")
                return
            }
            var rows = [["NAME", "DATE", "STATUS", "EPOCHS", "BEST", "TEST ACCURACY"]]
            for r in runs {
                let test = (r.summary["test"] as? [String: Double])?["accuracy"].map { "\(($0 * 1000).rounded() / 10)%" } ?? "-"
                let status = r.status.count > 40 ? String(r.status.prefix(37)) + "..." : r.status
                rows.append([r.name, r.date.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: ""),
                             status, "\(r.epochs.count)", r.best, test])
            }
            FileHandle.standardOutput.write(Runs.table(rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run: settings, status, metrics per epoch, final metrics.")
        @Argument(help: "The run.") var name: String
        @OptionGroup var location: Location

        func run() throws {
            let r: RunInfo
            do { r = try RunInfo.resolve(name, runsDirectory: location.runsDir) } catch { throw Runs.fail(error) }
            var out = "run \(r.name) (\(r.path))\nmodel \(r.model)\nstarted \(r.date)\nstatus \(r.status)\n\nsettings\n"
            out += Runs.table(r.settings.keys.sorted().map { ["  " + $0, r.settings[$0]!] })
            let columns = r.columns
            if !r.epochs.isEmpty {
                out += "\nepochs\n"
                var rows = [columns]
                for e in r.epochs {
                    rows.append(columns.map { c in
                        e[c].flatMap(Double.init).map { c == "epoch" ? "\(Int($0))" : RunInfoFormat.short($0) } ?? (e[c] ?? "-")
                    })
                }
                rows = rows.map { ["  " + $0[0]] + $0.dropFirst() }
                out += Runs.table(rows)
            }
            let m = r.finalMetrics
            if !m.isEmpty {
                out += "\nfinal\n" + Runs.table(m.keys.sorted().map { ["  " + $0, RunInfoFormat.short(m[$0]!)] })
            }
            if let best = r.summary["best_epoch"] as? Int { out += "\nbest epoch \(best) (\(r.best))\n" }
            if let stopped = r.summary["stopped_early_at"] as? Int { out += "stopped early after epoch \(stopped)\n" }
            FileHandle.standardOutput.write(out)
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare runs: the settings that differ and the final metrics side by side.")
        @Argument(help: "Two or more runs.") var runs: [String]
        @OptionGroup var location: Location

        func validate() throws {
            if runs.count < 2 { throw ValidationError("compare needs at least two runs") }
        }

        func run() throws {
            let infos: [RunInfo]
            do { infos = try runs.map { try RunInfo.resolve($0, runsDirectory: location.runsDir) } } catch { throw Runs.fail(error) }
            let header = [""] + infos.map(\.name)
            var out = ""
            var keys = Set(infos.flatMap { $0.settings.keys })
            keys.insert("model")
            func setting(_ r: RunInfo, _ k: String) -> String { k == "model" ? r.model : (r.settings[k] ?? "-") }
            let differing = keys.sorted().filter { k in Set(infos.map { setting($0, k) }).count > 1 }
            out += "settings that differ" + (differing.isEmpty ? ": none\n" : "\n")
            if !differing.isEmpty {
                out += Runs.table([header] + differing.map { k in [k] + infos.map { setting($0, k) } })
            }
            let metrics = infos.map(\.finalMetrics)
            let names = Set(metrics.flatMap(\.keys)).sorted()
            out += "\nfinal metrics\n"
            out += Runs.table([header, ["status"] + infos.map(\.status)]
                              + names.map { k in [k] + metrics.map { $0[k].map(RunInfoFormat.short) ?? "-" } })
            FileHandle.standardOutput.write(out)
        }
    }
}

enum RunInfoFormat {
    static func short(_ v: Double) -> String {
        let r = (v * 10000).rounded() / 10000
        return "\(r)"
    }
}
