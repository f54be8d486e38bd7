/// What kind of value an argument of an op or layer accepts.
public enum ArgKind: Sendable, Equatable {
    /// One tensor.
    case tensor
    /// One tensor, or nothing (`none`, or left out).
    case optionalTensor
    /// Any number of tensors: the rest of the positional tensors, or a list of tensors.
    case tensors
    case int, float, bool, string
    /// An integer, or a list of integers (`kernel: 5` or `kernel: [5, 3]`).
    case ints
    /// A list of dimensions: integers and symbolic dimension names (`[N, 400]`, `-1` allowed).
    case shape
    /// An element type (`f32`, …).
    case dtype
    /// Any compile-time value; the op or layer checks it itself.
    case value

    public var isTensor: Bool { self == .tensor || self == .optionalTensor || self == .tensors }

    /// How the kind is named in messages.
    public var phrase: String {
        switch self {
        case .tensor: "a tensor"
        case .optionalTensor: "a tensor or none"
        case .tensors: "tensors"
        case .int: "an integer"
        case .float: "a number"
        case .bool: "a boolean"
        case .string: "a string"
        case .ints: "an integer or a list of integers"
        case .shape: "a shape (a list of dimensions)"
        case .dtype: "a dtype"
        case .value: "a value"
        }
    }
}

/// One argument of an op or layer signature.
public struct ArgSpec: Sendable {
    public let name: String
    public let kind: ArgKind
    /// The value when the argument is left out; `nil` makes it required
    /// (except optional tensors, which default to none).
    public let defaultValue: StaticValue?
    public let doc: String
    /// An attribute that may stay unset: left out, nothing is stored on the node (the op's
    /// meaning for "unset" applies) — for annotations a pass adds, such as `layout`.
    public let mayBeUnset: Bool

    public init(_ name: String, _ kind: ArgKind, default defaultValue: StaticValue? = nil, doc: String = "", mayBeUnset: Bool = false) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
        self.mayBeUnset = mayBeUnset
    }

    public var isRequired: Bool { defaultValue == nil && !mayBeUnset && kind != .optionalTensor && kind != .tensors }
}

/// The arguments an op or layer accepts, in positional order.
public struct Signature: Sendable {
    public let args: [ArgSpec]
    public init(_ args: [ArgSpec]) { self.args = args }

    public func arg(named name: String) -> ArgSpec? { args.first { $0.name == name } }

    /// Binds operands given in signature order and compile-time values by name (missing ones
    /// take their defaults). Used when layers emit ops or call other layers, by passes that
    /// re-check a node, and for costing.
    /// - Throws: `DLCError` for a missing operand or value, extra operands, or an unknown name.
    public func bind(inputs: [Tensor], attributes: Attributes, callee: String) throws -> Arguments {
        var bound = Arguments()
        var rest = inputs[...]
        for a in args {
            switch a.kind {
            case .tensor:
                guard let t = rest.popFirst() else { throw DLCError("\(callee) needs operand '\(a.name)'") }
                bound.tensors[a.name] = [t]
            case .optionalTensor:
                if let t = rest.popFirst() { bound.tensors[a.name] = [t] }
            case .tensors:
                bound.tensors[a.name] = Array(rest)
                rest = []
            default:
                if let v = attributes[a.name] {
                    bound.statics[a.name] = v
                    bound.given.insert(a.name)
                } else if let d = a.defaultValue {
                    bound.statics[a.name] = d
                } else if !a.mayBeUnset {
                    throw DLCError("\(callee) needs argument '\(a.name)'")
                }
            }
        }
        if !rest.isEmpty { throw DLCError("\(callee) takes \(inputs.count - rest.count) operands, given \(inputs.count)") }
        for key in attributes.keys.sorted() where arg(named: key) == nil {
            throw DLCError("\(callee) has no argument '\(key)'")
        }
        return bound
    }

    /// `dense(x: tensor, units: int, bias: bool = true)`, for messages and docs.
    public func render(_ callee: String) -> String {
        callee + "(" + args.map { a in
            a.name + (a.defaultValue.map { " = \($0)" } ?? (a.mayBeUnset ? "?" : ""))
        }.joined(separator: ", ") + ")"
    }
}

/// A handle on a typed value while a graph is being built.
public struct Tensor: Hashable, Sendable {
    public let id: ValueID
    public let type: TensorType

    public init(id: ValueID, type: TensorType) {
        self.id = id
        self.type = type
    }

    public var shape: [Dim] { type.shape }
    public var rank: Int { type.rank }
    public var dtype: DType { type.dtype }
}

/// The arguments of one call, bound to a signature: tensors by name, compile-time values by
/// name (defaults filled in). Accessors check kinds and throw errors that blame the argument.
public struct Arguments {
    public var tensors: [String: [Tensor]]
    public var statics: [String: StaticValue]
    /// Names the caller wrote explicitly (defaults not included).
    public var given: Set<String>

    public init(tensors: [String: [Tensor]] = [:], statics: [String: StaticValue] = [:], given: Set<String> = []) {
        self.tensors = tensors
        self.statics = statics
        self.given = given
    }

    /// A required tensor argument.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name]?.first else { throw DLCError("missing tensor argument '\(name)'", argument: name) }
        return t
    }

    /// An optional tensor argument.
    public func optionalTensor(_ name: String) -> Tensor? { tensors[name]?.first }

    /// A variadic tensor argument.
    public func tensorList(_ name: String) -> [Tensor] { tensors[name] ?? [] }

    public func int(_ name: String) throws -> Int {
        guard let v = statics[name] else { throw DLCError("missing argument '\(name)'", argument: name) }
        guard let i = v.intValue else { throw DLCError("argument '\(name)' must be an integer, found \(v.kindName)", argument: name) }
        return i
    }

    /// A strictly positive integer.
    public func positiveInt(_ name: String) throws -> Int {
        let i = try int(name)
        guard i > 0 else { throw DLCError("argument '\(name)' must be positive, found \(i)", argument: name) }
        return i
    }

    public func double(_ name: String) throws -> Double {
        guard let v = statics[name] else { throw DLCError("missing argument '\(name)'", argument: name) }
        guard let d = v.doubleValue else { throw DLCError("argument '\(name)' must be a number, found \(v.kindName)", argument: name) }
        return d
    }

    public func bool(_ name: String) throws -> Bool {
        guard let v = statics[name] else { throw DLCError("missing argument '\(name)'", argument: name) }
        guard let b = v.boolValue else { throw DLCError("argument '\(name)' must be true or false, found \(v.kindName)", argument: name) }
        return b
    }

    public func string(_ name: String) throws -> String {
        guard let v = statics[name] else { throw DLCError("missing argument '\(name)'", argument: name) }
        guard let s = v.stringValue else { throw DLCError("argument '\(name)' must be a name or a string, found \(v.kindName)", argument: name) }
        return s
    }

    /// An integer or a list of `count` integers, each at least `minimum` (`kernel: 3` → `[3, 3]`).
    public func ints(_ name: String, count: Int, minimum: Int = 1) throws -> [Int] {
        guard let v = statics[name] else { throw DLCError("missing argument '\(name)'", argument: name) }
        let xs: [Int]
        if let i = v.intValue {
            xs = Array(repeating: i, count: count)
        } else if let list = v.listValue, list.count == count, list.allSatisfy({ $0.intValue != nil }) {
            xs = list.map { $0.intValue! }
        } else {
            throw DLCError("argument '\(name)' must be an integer or a list of \(count) integers, found \(v)", argument: name)
        }
        if let bad = xs.first(where: { $0 < minimum }) {
            throw DLCError("argument '\(name)' must be at least \(minimum), found \(bad)", argument: name)
        }
        return xs
    }

    /// A list of integers of any length (a single integer reads as a list of one).
    public func intList(_ name: String) throws -> [Int] {
        guard let v = statics[name] else { throw DLCError("missing argument '\(name)'", argument: name) }
        if let i = v.intValue { return [i] }
        if let list = v.listValue, list.allSatisfy({ $0.intValue != nil }) { return list.map { $0.intValue! } }
        throw DLCError("argument '\(name)' must be an integer or a list of integers, found \(v)", argument: name)
    }

    /// The raw compile-time value, if any.
    public func value(_ name: String) -> StaticValue? { statics[name] }
}
