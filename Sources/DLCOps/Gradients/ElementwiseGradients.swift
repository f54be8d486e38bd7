// Gradient rules of the elementwise ops: unary functions and activations, broadcasting
// binary arithmetic, where, clip and cast.
import DLCCore

/// A rule for a unary op given dy/dx as a function of x and y (g · dy/dx).
private func unary(_ derivative: @escaping (Emit, Tensor, Tensor) throws -> Tensor) -> GradientRule {
    { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx)
        return [try e.mul(g, derivative(e, ctx.inputs[0], ctx.outputs[0]))]
    }
}

/// A rule for a binary broadcasting op given the full-shape cotangents of a and b; each is
/// reduced to its operand's shape.
private func binary(_ rule: @escaping (Emit, Tensor, Tensor, Tensor, Tensor) throws -> (Tensor?, Tensor?)) -> GradientRule {
    { ctx in
        guard let g = ctx.cotangents[0] else { return [nil, nil] }
        let e = Emit(ctx)
        let a = ctx.inputs[0], b = ctx.inputs[1]
        let (ga, gb) = try rule(e, g, a, b, ctx.outputs[0])
        return [try ga.map { try e.reduce($0, to: a.type) }, try gb.map { try e.reduce($0, to: b.type) }]
    }
}

/// 1 where a wins, ½ on ties, 0 where b wins (`greater` for maximum, `less` for minimum).
private func winnerMask(_ e: Emit, _ a: Tensor, _ b: Tensor, _ compare: String) throws -> Tensor {
    let tie = try e.select(e.op("equal", [a, b]), e.c(0.5, a), e.c(0, a))
    return try e.select(e.op(compare, [a, b]), e.c(1, a), tie)
}

let elementwiseGradients: GradientTable = [
    ("neg", unary { e, x, _ in e.c(-1, x) }),
    ("abs", unary { e, x, _ in try e.op("sign", [x]) }),
    ("exp", unary { _, _, y in y }),
    ("log", unary { e, x, _ in try e.op("reciprocal", [x]) }),
    ("sqrt", unary { e, _, y in try e.div(e.c(0.5, y), y) }),
    // d/dx x^(-1/2) = -½ x^(-3/2) = -½ y³.
    ("rsqrt", unary { e, _, y in try e.scale(e.mul(y, e.op("square", [y])), -0.5) }),
    ("square", unary { e, x, _ in try e.scale(x, 2) }),
    ("reciprocal", unary { e, _, y in try e.neg(e.op("square", [y])) }),
    ("sin", unary { e, x, _ in try e.op("cos", [x]) }),
    ("cos", unary { e, x, _ in try e.neg(e.op("sin", [x])) }),
    ("tanh", unary { e, _, y in try e.sub(e.c(1, y), e.op("square", [y])) }),
    ("sigmoid", unary { e, _, y in try e.mul(y, e.sub(e.c(1, y), y)) }),
    // y > 0 exactly where x > 0; using y lets the pre-activation die (and fuse into a matmul).
    ("relu", unary { e, _, y in try e.indicator(e.op("greater", [y, e.c(0, y)]), y) }),
    ("softplus", unary { e, x, _ in try e.op("sigmoid", [x]) }),
    ("leaky_relu", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx), x = ctx.inputs[0]
        let slope = try e.select(e.op("greater", [x, e.c(0, x)]), e.c(1, x), e.c(try ctx.arguments.double("alpha"), x))
        return [try e.mul(g, slope)]
    }),
    // x > 0: 1; otherwise alpha·e^x = y + alpha.
    ("elu", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx), x = ctx.inputs[0], y = ctx.outputs[0]
        let alpha = e.c(try ctx.arguments.double("alpha"), x)
        return [try e.mul(g, e.select(e.op("greater", [x, e.c(0, x)]), e.c(1, x), e.add(y, alpha)))]
    }),
    // erf is not an op: the derivative is its own backward op (both forms).
    ("gelu", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        return [try Emit(ctx).op("gelu_backward", [ctx.inputs[0], g], ["approximate": .bool(try ctx.arguments.bool("approximate"))])]
    }),
    // The gradient passes where min <= x <= max (PyTorch's clamp).
    ("clip", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx), x = ctx.inputs[0]
        let lo = try e.op("greater_equal", [x, e.c(try ctx.arguments.double("min"), x)])
        let hi = try e.op("less_equal", [x, e.c(try ctx.arguments.double("max"), x)])
        return [try e.mul(g, e.indicator(e.op("logical_and", [lo, hi]), x))]
    }),

    ("add", binary { _, g, _, _, _ in (g, g) }),
    ("sub", binary { e, g, _, _, _ in (g, try e.neg(g)) }),
    ("mul", binary { e, g, a, b, _ in (try e.mul(g, b), try e.mul(g, a)) }),
    // d/db a/b = -a/b² = -y/b.
    ("div", binary { e, g, _, b, y in
        let ga = try e.div(g, b)
        return (ga, try e.neg(e.mul(ga, y)))
    }),
    // d/da = b·a^(b-1); d/db = y·ln a where a > 0, and 0 elsewhere (PyTorch gives 0 at a = 0).
    ("pow", binary { e, g, a, b, y in
        let ga = try e.mul(g, e.mul(b, e.op("pow", [a, e.sub(b, e.c(1, b))])))
        let positive = try e.op("greater", [a, e.c(0, a)])
        let logA = try e.op("log", [e.select(positive, a, e.c(1, a))])
        return (ga, try e.mul(g, e.select(positive, e.mul(y, logA), e.c(0, a))))
    }),
    ("maximum", binary { e, g, a, b, _ in
        let ga = try e.mul(g, winnerMask(e, a, b, "greater"))
        return (ga, try e.sub(g, ga))
    }),
    ("minimum", binary { e, g, a, b, _ in
        let ga = try e.mul(g, winnerMask(e, a, b, "less"))
        return (ga, try e.sub(g, ga))
    }),

    ("where", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil, nil, nil] }
        let e = Emit(ctx), cond = ctx.inputs[0], a = ctx.inputs[1], b = ctx.inputs[2]
        let zero = e.c(0, g)
        let ga = try e.reduce(e.select(cond, g, zero), to: a.type)
        let gb = try e.reduce(e.select(cond, zero, g), to: b.type)
        return [nil, ga, gb]
    }),
    // Between float types the cotangent is cast back; to or from integers and bool nothing flows.
    ("cast", { ctx in
        guard let g = ctx.cotangents[0], ctx.inputs[0].dtype.isFloat, g.dtype.isFloat else { return [nil] }
        return [try Emit(ctx).op("cast", [g], ["dtype": .dtype(ctx.inputs[0].dtype)])]
    }),
]
