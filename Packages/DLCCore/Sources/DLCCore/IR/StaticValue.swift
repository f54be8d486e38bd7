/// A value known at compile time: layer and op arguments, block arguments, attributes of IR
/// nodes, train-section settings. Bare identifiers that name nothing else are kept as symbols
/// (`padding: same`, `metrics: [accuracy, f1]`).
public enum StaticValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)
    case symbol(String)
    case dtype(DType)
    case list([StaticValue])

    public var description: String {
        switch self {
        case .int(let v): String(v)
        case .float(let v): Self.format(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let s): "\"\(s)\""
        case .symbol(let s): s
        case .dtype(let d): d.rawValue
        case .list(let xs): "[" + xs.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// The name of the kind of value, for error messages ("expected an integer, found a string").
    public var kindName: String {
        switch self {
        case .int: "an integer"
        case .float: "a number"
        case .bool: "a boolean"
        case .string: "a string"
        case .symbol(let s): "the name '\(s)'"
        case .dtype: "a dtype"
        case .list: "a list"
        }
    }

    /// Shortest text that reads back as the same `Double`, always with a decimal point or exponent.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        var s = String(v)
        if !s.contains(".") && !s.contains("e") { s += ".0" }
        return s
    }

    public var intValue: Int? {
        if case .int(let v) = self { return v }
        return nil
    }

    /// Integers widen to numbers.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): Double(v)
        case .float(let v): v
        default: nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// Strings and bare symbols both read as text (`padding: same` or `padding: "same"`).
    public var stringValue: String? {
        switch self {
        case .string(let s), .symbol(let s): s
        default: nil
        }
    }

    public var listValue: [StaticValue]? {
        if case .list(let xs) = self { return xs }
        return nil
    }
}
