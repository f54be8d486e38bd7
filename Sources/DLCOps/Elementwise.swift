// Unary and binary elementwise ops: arithmetic, transcendental functions and activations,
// registered from tables. Binary ops broadcast NumPy-style and need one element type.
import DLCCore

/// Which element types an elementwise op accepts.
enum Domain {
    case any, numeric, float, bool

    func check(_ t: TensorType, operand: Int, op: String) throws {
        switch self {
        case .any: return
        case .numeric: try Check.numeric(t, operand: operand, op: op)
        case .float: try Shapes.requireFloat(t, operand: operand, op: op)
        case .bool: try Check.bool(t, operand: operand, op: op)
        }
    }
}

/// One row of the unary table.
private struct Unary {
    let name: String, summary: String, domain: Domain, family: OpFamily, differentiable: Bool
    var extra: [ArgSpec] = []
    init(_ name: String, _ domain: Domain, _ family: OpFamily, _ summary: String,
         differentiable: Bool = true, extra: [ArgSpec] = []) {
        self.name = name; self.summary = summary; self.domain = domain; self.family = family
        self.differentiable = differentiable; self.extra = extra
    }
    init(_ name: String, _ domain: Domain, _ summary: String, differentiable: Bool = true, extra: [ArgSpec] = []) {
        self.init(name, domain, .elementwise, summary, differentiable: differentiable, extra: extra)
    }
}

private let unaries: [Unary] = [
    Unary("neg", .numeric, "Negation, -x."),
    Unary("abs", .numeric, "Absolute value |x|."),
    Unary("exp", .float, "Exponential e^x."),
    Unary("log", .float, "Natural logarithm."),
    Unary("sqrt", .float, "Square root."),
    Unary("rsqrt", .float, "Reciprocal square root 1/√x."),
    Unary("square", .numeric, "Square x²."),
    Unary("reciprocal", .float, "Reciprocal 1/x."),
    Unary("sin", .float, "Sine."),
    Unary("cos", .float, "Cosine."),
    Unary("tanh", .float, .activation, "Hyperbolic tangent."),
    Unary("sigmoid", .float, .activation, "Logistic sigmoid 1/(1+e^-x)."),
    Unary("relu", .numeric, .activation, "Rectified linear unit max(x, 0)."),
    Unary("gelu", .float, .activation, "Gaussian error linear unit; tanh approximation when approximate is true.",
          extra: [.attr("approximate", .bool, .bool(false))]),
    Unary("softplus", .float, .activation, "Softplus log(1 + e^x)."),
    Unary("sign", .numeric, "Sign: -1, 0 or 1.", differentiable: false),
    Unary("floor", .float, "Round down.", differentiable: false),
    Unary("ceil", .float, "Round up.", differentiable: false),
    Unary("round", .float, "Round half to even.", differentiable: false),
    Unary("logical_not", .bool, "Logical negation of a bool tensor.", differentiable: false),
    Unary("leaky_relu", .float, .activation, "Leaky ReLU: x for x > 0, alpha·x otherwise.",
          extra: [.attr("alpha", .float, .float(0.01))]),
    Unary("elu", .float, .activation, "Exponential linear unit: x for x > 0, alpha·(e^x - 1) otherwise.",
          extra: [.attr("alpha", .float, .float(1.0))]),
    Unary("clip", .numeric, "Clamps every element into [min, max].",
          extra: [.attr("min", .float, nil, "lower bound"), .attr("max", .float, nil, "upper bound")]),
]

/// Binary ops: name, summary, accepted operands, result (nil: the operand type), differentiable.
private let binaries: [(String, String, Domain, DType?, Bool)] = [
    ("add", "Elementwise sum, broadcasting.", .numeric, nil, true),
    ("sub", "Elementwise difference, broadcasting.", .numeric, nil, true),
    ("mul", "Elementwise product, broadcasting.", .numeric, nil, true),
    ("div", "Elementwise quotient, broadcasting.", .numeric, nil, true),
    ("pow", "Elementwise power a^b, broadcasting.", .numeric, nil, true),
    ("maximum", "Elementwise maximum, broadcasting.", .numeric, nil, true),
    ("minimum", "Elementwise minimum, broadcasting.", .numeric, nil, true),
    ("logical_and", "Logical and of bool tensors, broadcasting.", .bool, .bool, false),
    ("logical_or", "Logical or of bool tensors, broadcasting.", .bool, .bool, false),
]

/// Comparisons: name, summary, whether bool operands are allowed (equality only).
private let comparisons: [(String, String, Bool)] = [
    ("equal", "a == b elementwise, as bool.", true),
    ("not_equal", "a != b elementwise, as bool.", true),
    ("less", "a < b elementwise, as bool.", false),
    ("less_equal", "a <= b elementwise, as bool.", false),
    ("greater", "a > b elementwise, as bool.", false),
    ("greater_equal", "a >= b elementwise, as bool.", false),
]

/// The broadcast type of a binary elementwise op after the dtype checks.
func broadcastBinary(_ args: Arguments, op: String, domain: Domain) throws -> TensorType {
    let a = try args.tensor("a").type, b = try args.tensor("b").type
    try Check.sameDType(a, b, op: op)
    try domain.check(a, operand: 0, op: op)
    return TensorType(a.dtype, try Shapes.broadcast(a, b, op: op))
}

func registerElementwise(_ registry: Registry) throws {
    for u in unaries {
        try registry.register(OpSpec(u.name, family: u.family, signature: Signature([.operand("x")] + u.extra),
                                     summary: u.summary, differentiable: u.differentiable) { args in
            let x = try args.tensor("x").type
            try u.domain.check(x, operand: 0, op: u.name)
            if u.name == "clip" {
                let lo = try args.double("min"), hi = try args.double("max")
                guard lo <= hi else {
                    throw DLCError("'clip' needs min <= max, found min \(StaticValue.format(lo)) and max \(StaticValue.format(hi))",
                                   argument: "max")
                }
            }
            return [x]
        })
    }
    for (name, summary, domain, result, differentiable) in binaries {
        try registry.register(OpSpec(name, family: .elementwise, signature: Signature([.operand("a"), .operand("b")]),
                                     summary: summary, differentiable: differentiable) { args in
            let t = try broadcastBinary(args, op: name, domain: domain)
            return [result.map(t.with(dtype:)) ?? t]
        })
    }
    for (name, summary, allowsBool) in comparisons {
        try registry.register(OpSpec(name, family: .elementwise, signature: Signature([.operand("a"), .operand("b")]),
                                     summary: summary, differentiable: false) { args in
            let t = try broadcastBinary(args, op: name, domain: allowsBool ? .any : .numeric)
            return [t.with(dtype: .bool)]
        })
    }
}
