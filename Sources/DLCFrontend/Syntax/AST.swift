import DLCCore

/// A whole `.dlg` file: its declarations in source order.
public struct SourceUnit {
    public var file: SourceFile
    public var declarations: [Declaration]
}

/// A top-level declaration.
public enum Declaration {
    case use(name: String, range: SourceRange)
    case model(ModelDecl)
    case block(BlockDecl)
    case train(TrainDecl)

    public var range: SourceRange {
        switch self {
        case .use(_, let r): r
        case .model(let m): m.nameRange
        case .block(let b): b.nameRange
        case .train(let t): t.nameRange
        }
    }
}

/// `model NAME { statements }`
public struct ModelDecl {
    public var name: String
    public var nameRange: SourceRange
    /// Static arguments (`model MLP(hidden: Int = 128)`): compile-time values with defaults,
    /// which a sweep or `dlc train --set` may replace.
    public var params: [BlockParam] = []
    public var body: [Statement]
}

/// `block NAME(params) { statements }`
public struct BlockDecl {
    public var name: String
    public var nameRange: SourceRange
    public var params: [BlockParam]
    public var body: [Statement]
}

/// One parameter of a block: a tensor (no type) or a compile-time value (`channels: Int = 16`).
public struct BlockParam {
    public var name: String
    public var range: SourceRange
    /// `Int`, `Float`, `Bool`, `String`, `List`, `Shape`, `Tensor`, or nil for a tensor.
    public var typeName: String?
    public var defaultValue: Expr?
}

/// `train NAME { key: value ... step NAME: minimize EXPR over MODELS }`
public struct TrainDecl {
    public var name: String
    public var nameRange: SourceRange
    public var settings: [TrainSetting]
    public var steps: [TrainStep]
}

/// `key: value` in a train section.
public struct TrainSetting {
    public var key: String
    public var keyRange: SourceRange
    public var value: Expr
}

/// `step NAME: minimize EXPR over MODEL, ...`
public struct TrainStep {
    public var name: String
    public var nameRange: SourceRange
    public var objective: Expr
    public var over: [(name: String, range: SourceRange)]
}

/// A tensor type written in the source: `f32[N, 784]`.
public struct TypeExpr {
    public var dtype: String
    public var dtypeRange: SourceRange
    public var dims: [Expr]
    public var range: SourceRange
}

/// A statement inside a model or block.
public indirect enum Statement {
    case input(name: String, nameRange: SourceRange, type: TypeExpr)
    case param(name: String, nameRange: SourceRange, type: TypeExpr, initializer: Expr?)
    case output(name: String, nameRange: SourceRange, value: Expr?)
    case loss(name: String, nameRange: SourceRange, value: Expr?)
    case assign(targets: [(name: String, range: SourceRange)], value: Expr)
    case `repeat`(count: Expr, index: (name: String, range: SourceRange)?, body: [Statement], range: SourceRange)
    case `if`(condition: Expr, then: [Statement], else: [Statement], range: SourceRange)
    case `return`(Expr, range: SourceRange)
}

/// An argument in a call: positional or `name: value`.
public struct Argument {
    public var label: String?
    public var labelRange: SourceRange?
    public var value: Expr

    /// The range to underline when this argument is at fault.
    public var range: SourceRange { (labelRange ?? value.range).merged(with: value.range) }
}

/// Binary operators, lowest precedence first in `BinaryOp.precedence`.
public enum BinaryOp: String, Sendable {
    case or, and
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", matmul = "@"
}

/// An expression.
public indirect enum Expr {
    case int(Int, SourceRange)
    case float(Double, SourceRange)
    case string(String, SourceRange)
    case bool(Bool, SourceRange)
    case none(SourceRange)
    case name(String, SourceRange)
    case list([Expr], SourceRange)
    case tuple([Expr], SourceRange)
    case call(callee: String, calleeRange: SourceRange, args: [Argument], range: SourceRange)
    /// `lhs |> f(args)`: the left side becomes the first argument.
    case pipe(Expr, Expr, SourceRange)
    case binary(BinaryOp, Expr, Expr, opRange: SourceRange, range: SourceRange)
    case negate(Expr, SourceRange)
    case not(Expr, SourceRange)
    case index(Expr, Expr, SourceRange)
    case ifElse(condition: Expr, then: Expr, else: Expr, range: SourceRange)
    /// A placeholder for an expression that failed to parse (already reported).
    case error(SourceRange)

    public var range: SourceRange {
        switch self {
        case .int(_, let r), .float(_, let r), .string(_, let r), .bool(_, let r), .none(let r), .name(_, let r),
             .list(_, let r), .tuple(_, let r), .pipe(_, _, let r), .negate(_, let r), .not(_, let r),
             .index(_, _, let r), .error(let r):
            r
        case .call(_, _, _, let r), .binary(_, _, _, _, let r), .ifElse(_, _, _, let r):
            r
        }
    }
}
