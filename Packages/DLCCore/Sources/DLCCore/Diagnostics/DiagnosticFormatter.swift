/// Renders diagnostics as Clang and Swift do: `file:line:col: error: message`, the source
/// line, and a caret with tildes under the culprit. Colour only when asked (on a terminal).
public struct DiagnosticFormatter {
    public var colors: Bool

    public init(colors: Bool = false) { self.colors = colors }

    /// The full text of a list of diagnostics, with a closing count of errors.
    public func format(_ diagnostics: [Diagnostic], dropped: Int = 0) -> String {
        var out = ""
        for d in diagnostics { out += format(d) }
        let errors = diagnostics.filter { $0.severity == .error }.count + dropped
        if dropped > 0 { out += "note: \(dropped) more errors not shown\n" }
        if errors > 0 { out += "\(errors) error\(errors == 1 ? "" : "s") generated.\n" }
        return out
    }

    /// One diagnostic and its notes.
    public func format(_ d: Diagnostic) -> String {
        var out = header(d) + "\n"
        if let file = d.range.file {
            let (line, col) = file.lineAndColumn(of: d.range.start)
            let text = file.lineText(line).replacingTabs()
            out += text + "\n"
            let endOfLine = file.lineText(line).utf8.count + 1
            let (endLine, endCol) = file.lineAndColumn(of: d.range.end)
            let lastCol = endLine == line ? max(col + 1, endCol) : max(col + 1, endOfLine)
            let width = max(1, lastCol - col)
            let marker = "^" + String(repeating: "~", count: width - 1)
            out += String(repeating: " ", count: col - 1) + paint(marker, "\u{1B}[1;32m") + "\n"
        }
        for n in d.notes { out += format(n) }
        return out
    }

    private func header(_ d: Diagnostic) -> String {
        let place = d.range.file == nil ? "dlc" : d.range.description
        let (label, color): (String, String) = switch d.severity {
        case .error: ("error", "\u{1B}[1;31m")
        case .warning: ("warning", "\u{1B}[1;35m")
        case .note: ("note", "\u{1B}[1;30m")
        }
        return paint(place + ": ", "\u{1B}[1m") + paint(label + ": ", color) + paint(d.message, "\u{1B}[1m")
    }

    private func paint(_ s: String, _ code: String) -> String {
        colors ? code + s + "\u{1B}[0m" : s
    }
}

extension String {
    /// Tabs become single spaces so that the caret line up with byte columns.
    fileprivate func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
