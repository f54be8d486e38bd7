import Foundation

/// Pieces of the report's HTML. Everything is written so that the page is also well-formed
/// XML (every element closed, attributes quoted), which the tests check with an XML parser.
public enum HTML {
    /// Text made safe for element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A table; `header` is text (escaped here), `rows` are cells of HTML (escape text with
    /// `escape`). `numericColumns` are right-aligned.
    public static func table(_ header: [String], _ rows: [[String]], numericColumns: Set<Int> = [], classes: String = "") -> String {
        var s = "<table" + (classes.isEmpty ? "" : " class=\"\(classes)\"") + "><thead><tr>"
        for (i, h) in header.enumerated() { s += "<th\(numericColumns.contains(i) ? " class=\"num\"" : "")>\(escape(h))</th>" }
        s += "</tr></thead><tbody>"
        for row in rows {
            s += "<tr>"
            for (i, cell) in row.enumerated() { s += "<td\(numericColumns.contains(i) ? " class=\"num\"" : "")>\(cell)</td>" }
            s += "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// A two-column table of names and values (both text).
    public static func keyValueTable(_ pairs: [(String, String)]) -> String {
        table(["setting", "value"], pairs.map { [escape($0.0), escape($0.1)] }, classes: "kv")
    }

    /// A number as a report shows it: integers as such, others with four significant digits
    /// (exponent notation outside 1e-3…1e6), non-finite values by name.
    public static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        let a = abs(v)
        if a >= 1e6 || a < 1e-3 { return trimExponent(String(format: "%.3e", v)) }
        let digits = max(0, 3 - Int(log10(a).rounded(.down)))
        var s = String(format: "%.\(digits)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// `1.000e-04` → `1e-4`, `2.500e+06` → `2.5e6`.
    static func trimExponent(_ s: String) -> String {
        guard let e = s.firstIndex(of: "e") else { return s }
        var mantissa = String(s[..<e])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        var exponent = String(s[s.index(after: e)...])
        let negative = exponent.hasPrefix("-")
        exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
        return mantissa + "e" + (negative ? "-" : "") + (exponent.isEmpty ? "0" : exponent)
    }

    /// A whole page: `<!DOCTYPE html>`, the inline style sheet, a title and the body's HTML.
    public static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(escape(title))</title>
        <style>\(styleSheet)</style>
        </head><body>
        \(body)
        </body></html>

        """
    }

    /// The page's style: system fonts, compact tables, charts in a responsive grid.
    static let styleSheet = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px auto; \
        max-width: 1200px; padding: 0 16px; color: #1d2433; background: #fff; }
        h1 { font-size: 24px; margin: 0 0 4px 0; } h2 { font-size: 18px; margin: 28px 0 8px 0; border-bottom: 1px solid #d8dde6; padding-bottom: 4px; }
        h3 { font-size: 15px; margin: 16px 0 6px 0; }
        .sub { color: #5b6475; margin: 0 0 12px 0; font-size: 14px; }
        .status-finished { color: #1a7f37; } .status-failed { color: #c62828; } .status-other { color: #9a6700; }
        table { border-collapse: collapse; font-size: 13px; margin: 4px 0 12px 0; }
        th, td { border: 1px solid #d8dde6; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f3f5f9; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.kv td:first-child { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
        table.confusion td { text-align: right; min-width: 28px; font-variant-numeric: tabular-nums; }
        table.confusion th { text-align: center; }
        tr.best td { background: #e8f5e9; } tr.failed td { color: #c62828; }
        .scroll { overflow-x: auto; max-width: 100%; }
        .columns { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
        .charts { display: flex; flex-wrap: wrap; gap: 16px; }
        .chart { border: 1px solid #e3e7ee; border-radius: 4px; background: #fff; max-width: 100%; height: auto; }
        .diagram { border: 1px solid #e3e7ee; border-radius: 4px; overflow: auto; max-height: 900px; padding: 8px; }
        .diagram svg { max-width: 100%; height: auto; }
        .error { color: #c62828; white-space: pre-wrap; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
        .note { color: #5b6475; font-size: 13px; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
        """
}
