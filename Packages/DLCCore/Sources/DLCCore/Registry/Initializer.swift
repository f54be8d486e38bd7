/// How a parameter is filled before training. Fans follow PyTorch's convention for a
/// weight of shape `[out, in, k...]`: fan-in = in·k…, fan-out = out·k….
public enum Initializer: Hashable, Sendable, CustomStringConvertible {
    case zeros, ones
    case constant(Double)
    case uniform(low: Double, high: Double)
    case normal(mean: Double, std: Double)
    case glorotUniform, glorotNormal
    case heUniform, heNormal
    /// PyTorch's default for `Linear` and `Conv2d`: U(−1/√fan_in, 1/√fan_in).
    case fanInUniform

    /// The names accepted in `.dlg` files (`xavier_*` and `kaiming_*` are synonyms).
    public static let names = ["zeros", "ones", "constant", "uniform", "normal", "glorot_uniform", "glorot_normal",
                               "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "kaiming_uniform",
                               "kaiming_normal", "fan_in_uniform"]

    /// Builds an initializer from its `.dlg` name and arguments (named or positional).
    /// - Throws: `DLCError` naming the bad argument.
    public static func make(name: String, positional: [StaticValue], named: [String: StaticValue]) throws -> Initializer {
        func number(_ key: String, _ index: Int, _ fallback: Double?) throws -> Double {
            let v = named[key] ?? (index < positional.count ? positional[index] : nil)
            guard let v else {
                if let fallback { return fallback }
                throw DLCError("initializer '\(name)' needs an argument '\(key)'")
            }
            guard let d = v.doubleValue else {
                throw DLCError("argument '\(key)' of initializer '\(name)' must be a number, found \(v.kindName)", argument: key)
            }
            return d
        }
        let allowed: [String]
        let result: Initializer
        switch name {
        case "zeros": allowed = []; result = .zeros
        case "ones": allowed = []; result = .ones
        case "constant": allowed = ["value"]; result = .constant(try number("value", 0, nil))
        case "uniform":
            allowed = ["low", "high"]
            let lo = try number("low", 0, -0.05), hi = try number("high", 1, 0.05)
            guard lo < hi else { throw DLCError("uniform initializer needs low < high, found \(StaticValue.format(lo)) and \(StaticValue.format(hi))") }
            result = .uniform(low: lo, high: hi)
        case "normal":
            allowed = ["mean", "std"]
            let std = try number("std", 1, 0.05)
            guard std >= 0 else { throw DLCError("normal initializer needs std >= 0, found \(StaticValue.format(std))", argument: "std") }
            result = .normal(mean: try number("mean", 0, 0), std: std)
        case "glorot_uniform", "xavier_uniform": allowed = []; result = .glorotUniform
        case "glorot_normal", "xavier_normal": allowed = []; result = .glorotNormal
        case "he_uniform", "kaiming_uniform": allowed = []; result = .heUniform
        case "he_normal", "kaiming_normal": allowed = []; result = .heNormal
        case "fan_in_uniform": allowed = []; result = .fanInUniform
        default:
            let hint = closestName(to: name, among: names).map { "; did you mean '\($0)'?" } ?? ""
            throw DLCError("unknown initializer '\(name)'\(hint)")
        }
        if positional.count > allowed.count {
            throw DLCError("initializer '\(name)' takes \(allowed.count) argument\(allowed.count == 1 ? "" : "s"), found \(positional.count)")
        }
        for key in named.keys.sorted() where !allowed.contains(key) {
            throw DLCError("initializer '\(name)' has no argument '\(key)'", argument: key)
        }
        return result
    }

    /// The attribute stored on a `param` node.
    public var attribute: StaticValue {
        switch self {
        case .constant(let v): .list([.symbol("constant"), .float(v)])
        case .uniform(let lo, let hi): .list([.symbol("uniform"), .float(lo), .float(hi)])
        case .normal(let m, let s): .list([.symbol("normal"), .float(m), .float(s)])
        default: .symbol(description)
        }
    }

    /// Reads back `attribute`.
    public init?(attribute: StaticValue) {
        switch attribute {
        case .symbol(let s):
            guard let i = try? Initializer.make(name: s, positional: [], named: [:]) else { return nil }
            self = i
        case .list(let xs):
            guard case .symbol(let s)? = xs.first,
                  let i = try? Initializer.make(name: s, positional: Array(xs.dropFirst()), named: [:]) else { return nil }
            self = i
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .zeros: "zeros"
        case .ones: "ones"
        case .constant(let v): "constant(\(StaticValue.format(v)))"
        case .uniform(let lo, let hi): "uniform(\(StaticValue.format(lo)), \(StaticValue.format(hi)))"
        case .normal(let m, let s): "normal(\(StaticValue.format(m)), \(StaticValue.format(s)))"
        case .glorotUniform: "glorot_uniform"
        case .glorotNormal: "glorot_normal"
        case .heUniform: "he_uniform"
        case .heNormal: "he_normal"
        case .fanInUniform: "fan_in_uniform"
        }
    }
}

/// The candidate closest to `name`, if close enough to be a likely typo: within a third of
/// the shorter name in edits (a swap of two neighbours counts as one), never a replacement of
/// the whole name; failing that, the shortest candidate that `name` begins (`glorot` →
/// `glorot_uniform`).
public func closestName(to name: String, among candidates: some Sequence<String>) -> String? {
    let a = Array(name.utf8)
    var best: (String, Int)?
    var prefixed: String?
    for c in candidates {
        let b = Array(c.utf8)
        let d = editDistance(a, b)
        if d <= max(1, min(a.count, b.count) / 3), d < max(a.count, b.count),
           best == nil || d < best!.1 || (d == best!.1 && c < best!.0) {
            best = (c, d)
        }
        if a.count >= 3, b.count > a.count, b.starts(with: a),
           prefixed == nil || b.count < prefixed!.utf8.count || (b.count == prefixed!.utf8.count && c < prefixed!) {
            prefixed = c
        }
    }
    return best?.0 ?? prefixed
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
/// adjacent characters each cost one.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
