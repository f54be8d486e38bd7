import DLCCore

extension SweepRecord {
    /// The table `dlc sweep` ends with: the trials sorted by the metric (best first; failed
    /// and unfinished trials last, with their cause), then the best settings.
    public func table() -> String {
        let header = ["rank", "trial"] + swept + [metric, "seconds", "status"]
        var rows: [[String]] = []
        let rankedCount = ranked.count
        for (k, t) in ordered.enumerated() {
            let values = swept.map { name in t.settings.first { $0.name == name }.map { Self.text($0.value) } ?? "-" }
            let status = t.status == .failed ? "failed: " + (t.error ?? "") : t.status.rawValue
            rows.append([k < rankedCount ? "\(k + 1)" : "-", "\(t.index)"] + values
                        + [t.metrics[metric].map(Self.short) ?? "-", t.seconds.map { "\(($0 * 10).rounded() / 10)" } ?? "-", status])
        }
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        // Every column padded to its width but the last (the status, with a failure's cause).
        func format(_ row: [String]) -> String {
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(to: widths[c]) }.joined(separator: "  ")
        }
        var out = ([format(header)] + rows.map(format)).joined(separator: "\n") + "\n"
        if let b = ranked.first {
            let settings = b.settings.map { "\($0.name): \(Self.text($0.value))" }.joined(separator: ", ")
            out += "best: trial \(b.index) (\(settings)) with \(metric) \(Self.short(b.metrics[metric]!))\n"
        } else {
            out += "best: none (no trial finished with \(metric))\n"
        }
        let failed = trials.filter { $0.status == .failed }.count
        if failed > 0 { out += "\(failed) of \(trials.count) trials failed\n" }
        return out
    }

    static func text(_ v: StaticValue) -> String {
        if case .string(let s) = v { return s }
        return v.description
    }

    static func short(_ v: Double) -> String { "\((v * 10000).rounded() / 10000)" }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
