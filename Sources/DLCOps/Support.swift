// Helpers shared by the built-in shape rules: signature shorthands, dtype and dimension
// checks with user-facing messages, and parsing of list-valued attributes.
import DLCCore

extension ArgSpec {
    /// A required tensor operand.
    static func operand(_ name: String, _ doc: String = "") -> ArgSpec { ArgSpec(name, .tensor, doc: doc) }
    /// An optional tensor operand (`none` or left out).
    static func optionalOperand(_ name: String, _ doc: String = "") -> ArgSpec { ArgSpec(name, .optionalTensor, doc: doc) }
    /// A compile-time attribute.
    static func attr(_ name: String, _ kind: ArgKind, _ defaultValue: StaticValue? = nil, _ doc: String = "") -> ArgSpec {
        ArgSpec(name, kind, default: defaultValue, doc: doc)
    }
}

/// Checks shared by the shape rules; each throws a `DLCError` that names the op.
enum Check {
    /// Any element type except `bool`.
    static func numeric(_ t: TensorType, operand: Int, op: String) throws {
        guard t.dtype != .bool else {
            throw DLCError("'\(op)' needs a numeric tensor, found \(t); convert it with cast()", operands: [operand])
        }
    }

    /// A `bool` tensor.
    static func bool(_ t: TensorType, operand: Int, op: String) throws {
        guard t.dtype == .bool else {
            throw DLCError("'\(op)' needs a bool tensor, found \(t); compare with a value to get one", operands: [operand])
        }
    }

    /// An integer tensor (indices, labels).
    static func integer(_ t: TensorType, operand: Int, op: String, what: String) throws {
        guard t.dtype.isInteger else {
            throw DLCError("'\(op)' needs integer \(what), found \(t); convert them with cast()", operands: [operand])
        }
    }

    /// Two operands of the same element type.
    static func sameDType(_ a: TensorType, _ b: TensorType, op: String, operands: [Int] = [0, 1]) throws {
        guard a.dtype == b.dtype else {
            throw DLCError("'\(op)' needs operands of the same element type, found \(a) and \(b); convert one with cast()",
                           operands: operands)
        }
    }

    /// The known size of dimension `axis`, or an error saying what needs it.
    static func known(_ t: TensorType, _ axis: Int, operand: Int, op: String, what: String) throws -> Int {
        guard let v = t.shape[axis].value else {
            throw DLCError("'\(op)' needs a known \(what) (dimension \(axis)), found \(t.shape[axis]) in \(t)", operands: [operand])
        }
        return v
    }

    /// A rank, with the layout spelled out (`rank 4 [N, C, H, W]`).
    static func rank(_ t: TensorType, _ rank: Int, layout: String = "", operand: Int, op: String) throws {
        guard t.rank == rank else {
            let l = layout.isEmpty ? "" : " \(layout)"
            throw DLCError("'\(op)' expects a tensor of rank \(rank)\(l), found \(t)", operands: [operand])
        }
    }

    /// Two operands of exactly the same type (losses, elementwise pairs without broadcasting).
    static func sameType(_ a: TensorType, _ b: TensorType, op: String, names: (String, String)) throws {
        try sameDType(a, b, op: op)
        guard a.shape == b.shape else {
            var detail = "ranks \(a.rank) and \(b.rank) differ"
            if a.rank == b.rank, let i = a.shape.indices.first(where: { a.shape[$0] != b.shape[$0] }) {
                detail = "dimension \(i) is \(a.shape[i]) in \(names.0) and \(b.shape[i]) in \(names.1)"
            }
            throw DLCError("'\(op)' needs \(names.0) and \(names.1) of the same shape, found \(a) and \(b): \(detail)",
                           operands: [0, 1])
        }
    }
}

/// The size of a dimension for flop counts: a symbolic dimension counts as 1.
func count(_ d: Dim) -> Int { d.value ?? 1 }

/// `[N, 16]` as a list of dimensions: integers (positive, or one -1 when `allowInfer`) and
/// symbols. Returns nil entries for -1.
func parseShape(_ args: Arguments, _ name: String, op: String, allowInfer: Bool) throws -> [Dim?] {
    guard let v = args.value(name) else { throw DLCError("'\(op)' needs argument '\(name)'", argument: name) }
    let items = v.listValue ?? (v.intValue != nil ? [v] : nil)
    guard let items else {
        throw DLCError("argument '\(name)' of '\(op)' must be a list of dimensions, found \(v)", argument: name)
    }
    var out: [Dim?] = []
    for item in items {
        switch item {
        case .int(-1) where allowInfer:
            guard !out.contains(where: { $0 == nil }) else {
                throw DLCError("argument '\(name)' of '\(op)' may contain at most one -1, found \(v)", argument: name)
            }
            out.append(nil)
        case .int(let n) where n > 0: out.append(.known(n))
        case .symbol(let s): out.append(.symbol(s))
        default:
            let allowed = allowInfer ? "positive integers, symbolic dimensions and one -1" : "positive integers and symbolic dimensions"
            throw DLCError("argument '\(name)' of '\(op)' must hold \(allowed), found \(item) in \(v)", argument: name)
        }
    }
    return out
}

/// A list of axes (an integer or a list), made non-negative and checked for repeats.
/// An empty list means every axis.
func parseAxes(_ args: Arguments, _ name: String, rank: Int, op: String) throws -> [Int] {
    let v = args.value(name) ?? .list([])
    let raw: [Int]
    if let i = v.intValue { raw = [i] }
    else if let xs = v.listValue, xs.allSatisfy({ $0.intValue != nil }) { raw = xs.map { $0.intValue! } }
    else { throw DLCError("argument '\(name)' of '\(op)' must be an integer or a list of integers, found \(v)", argument: name) }
    if raw.isEmpty { return Array(0..<rank) }
    var out: [Int] = []
    for a in raw {
        let n = try Shapes.axis(a, rank: rank, argument: name, op: op)
        guard !out.contains(n) else {
            throw DLCError("argument '\(name)' of '\(op)' names axis \(n) twice", argument: name)
        }
        out.append(n)
    }
    return out.sorted()
}

/// `2·N·C` style text for an element count: symbols in order, then the known product.
func countText(symbols: [String], known: Int) -> String {
    if symbols.isEmpty { return String(known) }
    return (symbols + (known == 1 ? [] : [String(known)])).joined(separator: "·")
}

/// A shape as it is written in a `.dlg` file (`[N, 28, 28]`, `-1` for an inferred dimension).
func shapeText(_ dims: [Dim?]) -> String {
    "[" + dims.map { $0?.description ?? "-1" }.joined(separator: ", ") + "]"
}
