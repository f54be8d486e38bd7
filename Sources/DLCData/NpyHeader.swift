import DLCCore

/// An element type of a `.npy` file that dlc reads and writes.
public enum NpyDType: String, CaseIterable, Sendable {
    case f4, f8, i4, i8, u1, b1

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .f4, .i4: 4
        case .f8, .i8: 8
        case .u1, .b1: 1
        }
    }

    /// The `descr` string numpy writes for it (little-endian).
    public var descr: String { itemSize == 1 ? "|\(rawValue)" : "<\(rawValue)" }

    /// The dtype a tensor of `dtype` is written as by default.
    public static func natural(for dtype: DType) -> NpyDType {
        switch dtype {
        case .f32: .f4
        case .f64: .f8
        case .i32: .i4
        case .i64: .i8
        case .bool: .b1
        }
    }
}

/// The parsed dictionary of a `.npy` header.
struct NpyHeader {
    var dtype: NpyDType
    var bigEndian: Bool
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// `(2, 3)`, as numpy prints a shape.
    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// The header text for writing (without padding).
    static func text(descr: String, shape: [Int]) -> String {
        "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText(shape)), }"
    }

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. Throws a
    /// cause (without the file name) on anything else.
    static func parse(_ text: String) throws -> NpyHeader {
        var p = Parser(chars: Array(text.unicodeScalars), pos: 0)
        let dict = try p.dict()
        for key in dict.keys where !["descr", "fortran_order", "shape"].contains(key) {
            throw HeaderError("unexpected key '\(key)'")
        }
        guard let d = dict["descr"] else { throw HeaderError("no 'descr' key") }
        guard case .string(let descr) = d else { throw HeaderError("structured or non-string dtype \(d) is not supported") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw HeaderError("no boolean 'fortran_order' key") }
        guard case .tuple(let shape)? = dict["shape"] else { throw HeaderError("no tuple 'shape' key") }
        if let neg = shape.first(where: { $0 < 0 }) { throw HeaderError("negative dimension \(neg) in shape") }
        var order = descr.first ?? "?"
        var code = Substring(descr)
        if "<>|=".contains(order) { code = code.dropFirst() } else { order = "=" }
        guard let dt = NpyDType(rawValue: String(code)) else {
            throw UnsupportedDType(descr: descr)
        }
        return NpyHeader(dtype: dt, bigEndian: order == ">" && dt.itemSize > 1, descr: descr, fortranOrder: fortran, shape: shape)
    }

    struct HeaderError: Error { let cause: String; init(_ c: String) { cause = c } }
    struct UnsupportedDType: Error { let descr: String }

    private enum Value: CustomStringConvertible {
        case string(String), bool(Bool), tuple([Int]), list
        var description: String {
            switch self {
            case .string(let s): "'\(s)'"
            case .bool(let b): b ? "True" : "False"
            case .tuple(let t): NpyHeader.shapeText(t)
            case .list: "[...]"
            }
        }
    }

    /// A parser for the small subset of Python literals numpy writes.
    private struct Parser {
        let chars: [Unicode.Scalar]
        var pos: Int

        mutating func skipSpace() { while pos < chars.count, chars[pos] == " " || chars[pos] == "\n" || chars[pos] == "\t" { pos += 1 } }
        mutating func peek() -> Unicode.Scalar? { skipSpace(); return pos < chars.count ? chars[pos] : nil }
        mutating func expect(_ c: Unicode.Scalar) throws {
            guard peek() == c else { throw HeaderError("expected '\(c)' at character \(pos + 1)") }
            pos += 1
        }

        mutating func dict() throws -> [String: Value] {
            try expect("{")
            var out: [String: Value] = [:]
            while peek() != "}" {
                guard case .string(let key) = try value() else { throw HeaderError("dictionary key is not a string") }
                try expect(":")
                out[key] = try value()
                if peek() == "," { pos += 1 } else { break }
            }
            try expect("}")
            return out
        }

        mutating func value() throws -> Value {
            switch peek() {
            case "'", "\"":
                let q = chars[pos]; pos += 1
                var s = ""
                while pos < chars.count, chars[pos] != q { s.unicodeScalars.append(chars[pos]); pos += 1 }
                guard pos < chars.count else { throw HeaderError("unterminated string") }
                pos += 1
                return .string(s)
            case "(":
                pos += 1
                var dims: [Int] = []
                while peek() != ")" {
                    dims.append(try int())
                    if peek() == "," { pos += 1 } else { break }
                }
                try expect(")")
                return .tuple(dims)
            case "[":
                var depth = 0
                repeat {
                    if chars[pos] == "[" { depth += 1 } else if chars[pos] == "]" { depth -= 1 }
                    pos += 1
                } while depth > 0 && pos < chars.count
                return .list
            default:
                for (word, b) in [("True", true), ("False", false)] where String(String.UnicodeScalarView(chars[pos...].prefix(word.count))) == word {
                    pos += word.count
                    return .bool(b)
                }
                throw HeaderError("unexpected character at \(pos + 1)")
            }
        }

        mutating func int() throws -> Int {
            _ = peek()
            var v = 0, digits = 0
            let neg = pos < chars.count && chars[pos] == "-"
            if neg { pos += 1 }
            while pos < chars.count, let d = Int(String(chars[pos])), chars[pos].isASCII {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1 && !o2 else { throw HeaderError("dimension too large") }
                v = a; pos += 1; digits += 1
            }
            if pos < chars.count, chars[pos] == "L" { pos += 1 }
            guard digits > 0 else { throw HeaderError("expected a dimension at character \(pos + 1)") }
            return neg ? -v : v
        }
    }
}
