import DLCCore

/// Which CSV column holds the labels.
public enum CSVColumn: Equatable, Sendable {
    /// By position, counted from 0; negative counts from the end (-1 is the last column).
    case index(Int)
    /// By its name in the header row.
    case name(String)
}

/// A CSV file read as a data set, with what was learnt about its columns.
public struct CSVData: Sendable {
    /// Features (every column but the label one, f32 [N, F]) and labels.
    public var dataset: Dataset
    /// The feature columns' names (from the header, or "column K" counted from 1).
    public var featureNames: [String]
    /// For a label column of names: the class names, sorted, label i meaning `classNames[i]`.
    public var classNames: [String]?
}

/// Comma-separated numeric data: one example per line, a label column and feature columns.
/// Cells may be double-quoted; blank lines are skipped; rows and columns in messages are
/// counted from 1 as an editor shows them.
public enum CSV {
    /// Loads a CSV file (see `read`).
    public static func load(_ path: String, label: CSVColumn = .index(-1), header: Bool? = nil) throws -> Dataset {
        try read(path, label: label, header: header).dataset
    }

    /// Reads a CSV file. `header` nil detects a header row (a first row with a cell that is
    /// neither empty nor a number). Labels: integers ≥ 0 give i32 class labels; other
    /// numbers give f32 targets [N]; any cell that is not a number makes the column one of
    /// class names (sorted, numbered from 0). Features must be finite numbers.
    public static func read(_ path: String, label: CSVColumn = .index(-1), header: Bool? = nil) throws -> CSVData {
        try parse(try readFileBytes(path), source: path, label: label, header: header)
    }

    /// Parses CSV text; errors name `source`.
    public static func parse(_ bytes: [UInt8], source: String, label: CSVColumn = .index(-1), header: Bool? = nil) throws -> CSVData {
        var rows = try split(bytes, source: source)
        guard let first = rows.first else { throw DataError.file(source, "empty CSV file") }
        let hasHeader = header ?? first.cells.contains { !$0.isEmpty && number($0) == nil }
        let width = first.cells.count
        var names = (1...width).map { "column \($0)" }
        if hasHeader { names = first.cells; rows.removeFirst() }
        func place(_ row: Int, _ col: Int) -> String {
            hasHeader ? "row \(row), column \(col + 1) ('\(names[col])')" : "row \(row), column \(col + 1)"
        }
        guard !rows.isEmpty else { throw DataError.file(source, "no data rows\(hasHeader ? " after the header" : "")") }
        guard width >= 2 else { throw DataError.file(source, "a CSV data set needs at least 2 columns (features and a label), found \(width)") }
        let lc: Int
        switch label {
        case .index(let i):
            guard i >= -width && i < width else { throw DataError.file(source, "label column \(i) is out of range for \(width) columns") }
            lc = i < 0 ? width + i : i
        case .name(let n):
            guard hasHeader else { throw DataError.file(source, "label column '\(n)' is given by name, but the file has no header row") }
            guard let i = names.firstIndex(of: n) else {
                throw DataError.file(source, "no column named '\(n)' (columns: \(names.map { "'\($0)'" }.joined(separator: ", ")))")
            }
            lc = i
        }
        var x: [Float] = []
        x.reserveCapacity(rows.count * (width - 1))
        var labelCells: [(row: Int, text: String)] = []
        for r in rows {
            guard r.cells.count == width else {
                throw DataError.at(source, "row \(r.line)", "\(r.cells.count) columns, expected \(width) as in row \(first.line)")
            }
            for (c, cell) in r.cells.enumerated() {
                if c == lc { labelCells.append((r.line, cell)); continue }
                guard !cell.isEmpty else { throw DataError.at(source, place(r.line, c), "empty cell") }
                guard let v = number(cell) else { throw DataError.at(source, place(r.line, c), "not a number: '\(cell)'") }
                guard v.isFinite, Float(v).isFinite else {
                    throw DataError.at(source, place(r.line, c), v.isNaN ? "NaN in the features" : "infinite value '\(cell)' in the features")
                }
                x.append(Float(v))
            }
        }
        let n = rows.count
        let (y, classNames) = try labels(labelCells, source: source) { place($0, lc) }
        let features = names.enumerated().filter { $0.offset != lc }.map(\.element)
        return CSVData(dataset: Dataset(unchecked: HostTensor(shape: [n, width - 1], f32: x), y: y),
                       featureNames: features, classNames: classNames)
    }

    private static func labels(_ cells: [(row: Int, text: String)], source: String,
                               place: (Int) -> String) throws -> (HostTensor, [String]?) {
        let values = cells.map { number($0.text) }
        if values.contains(where: { $0 == nil }) {
            if let e = cells.first(where: { $0.text.isEmpty }) { throw DataError.at(source, place(e.row), "empty label") }
            let names = Array(Set(cells.map(\.text))).sorted()
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
            return (HostTensor(shape: [cells.count], storage: .i32(cells.map { index[$0.text]! })), names)
        }
        for (i, v) in values.enumerated() where !v!.isFinite {
            throw DataError.at(source, place(cells[i].row), v!.isNaN ? "NaN label" : "infinite label")
        }
        let vs = values.map { $0! }
        if vs.allSatisfy({ $0 >= 0 && $0 <= Double(Int32.max) && $0.rounded() == $0 }) {
            return (HostTensor(shape: [vs.count], storage: .i32(vs.map { Int32($0) })), nil)
        }
        return (HostTensor(shape: [vs.count], f32: vs.map { Float($0) }), nil)
    }

    /// A cell as a number, or nil.
    static func number(_ cell: String) -> Double? {
        Double(cell)
    }

    /// Splits text into rows of trimmed cells, with the line each row starts on.
    static func split(_ bytes: [UInt8], source: String) throws -> [(line: Int, cells: [String])] {
        var rows: [(line: Int, cells: [String])] = []
        var cells: [String] = [], cell: [UInt8] = []
        var line = 1, rowLine = 1, quoted = false, wasQuoted = false, i = 0
        func endCell() {
            var s = String(decoding: cell, as: UTF8.self)
            if !wasQuoted { s = s.trimmingSpaces }
            cells.append(s); cell.removeAll(keepingCapacity: true); wasQuoted = false
        }
        func endRow() {
            endCell()
            if !(cells.count == 1 && cells[0].isEmpty) { rows.append((rowLine, cells)) }
            cells.removeAll()
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { cell.append(b); i += 1 } else { quoted = false }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    cell.append(b)
                }
            } else if b == UInt8(ascii: "\"") && cell.allSatisfy({ $0 == 32 || $0 == 9 }) {
                quoted = true; wasQuoted = true; cell.removeAll()
            } else if b == UInt8(ascii: ",") {
                endCell()
            } else if b == UInt8(ascii: "\n") {
                endRow(); line += 1; rowLine = line
            } else if b != UInt8(ascii: "\r") {
                cell.append(b)
            }
            i += 1
        }
        if quoted { throw DataError.at(source, "row \(rowLine)", "unterminated quoted cell") }
        if !cell.isEmpty || !cells.isEmpty { endRow() }
        return rows
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
