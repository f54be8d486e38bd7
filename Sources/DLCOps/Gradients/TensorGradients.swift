// Gradient rules of matmul, the reductions, and the shape, joining and indexing ops.
import DLCCore

/// matmul on matrices: rank-1 operands are promoted (a to [1, K], b to [K, 1]) and the
/// cotangent gets the dropped axes back, so the four transpose cases are matrix identities;
/// batch axes that were broadcast are summed away by `reduce(_:to:)`.
private func matmulRule(_ ctx: GradientContext) throws -> [Tensor?] {
    guard let g = ctx.cotangents[0] else { return [nil, nil] }
    let e = Emit(ctx), a = ctx.inputs[0], b = ctx.inputs[1]
    let ta = try ctx.arguments.bool("transpose_a"), tb = try ctx.arguments.bool("transpose_b")
    let a2 = a.rank == 1 ? try e.reshape(a, [.known(1), a.shape[0]]) : a
    let b2 = b.rank == 1 ? try e.reshape(b, [b.shape[0], .known(1)]) : b
    var gShape = g.shape
    if a.rank == 1 { gShape.insert(.known(1), at: b.rank == 1 ? gShape.count : gShape.count - 1) }
    if b.rank == 1 { gShape.append(.known(1)) }
    let g2 = try e.reshape(g, gShape)
    func mm(_ x: Tensor, _ y: Tensor, _ tx: Bool, _ ty: Bool) throws -> Tensor {
        try e.op("matmul", [x, y], ["transpose_a": .bool(tx), "transpose_b": .bool(ty)])
    }
    // y = A·B with A = ta ? a2ᵀ : a2, B = tb ? b2ᵀ : b2; dA = g·Bᵀ, dB = Aᵀ·g.
    let da = ta ? try mm(b2, g2, tb, true) : try mm(g2, b2, false, !tb)
    let db = tb ? try mm(g2, a2, true, ta) : try mm(a2, g2, !ta, false)
    return [try e.reshape(e.reduce(da, to: a2.type), a.shape), try e.reshape(e.reduce(db, to: b2.type), b.shape)]
}

/// Axes and keepdims of a reduction node.
private func reduction(_ ctx: GradientContext) throws -> (axes: [Int], keepdims: Bool) {
    (try parseAxes(ctx.arguments, "axes", rank: ctx.inputs[0].rank, op: "sum"), try ctx.arguments.bool("keepdims"))
}

/// sum, mean: the cotangent broadcast back (divided by the count for mean).
private func sumRule(mean: Bool) -> GradientRule {
    { ctx in
        guard var g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx), x = ctx.inputs[0]
        let (axes, keepdims) = try reduction(ctx)
        if mean { g = try e.divide(g, byCountOf: axes.map { x.shape[$0] }) }
        return [try e.broadcast(e.keepingDims(g, shape: x.shape, axes: axes, keepdims: keepdims), x.shape)]
    }
}

/// max, min: the cotangent goes to the extreme elements, shared equally between ties.
private let extremeRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil] }
    let e = Emit(ctx), x = ctx.inputs[0]
    let (axes, keepdims) = try reduction(ctx)
    let y = try e.keepingDims(ctx.outputs[0], shape: x.shape, axes: axes, keepdims: keepdims)
    let hits = try e.indicator(e.op("equal", [x, y]), x)
    let share = try e.div(e.keepingDims(g, shape: x.shape, axes: axes, keepdims: keepdims), e.sum(hits, axes: axes, keepdims: true))
    return [try e.mul(hits, share)]
}

/// prod: ∂y/∂xᵢ is the product of the other elements. Without zeros that is y/xᵢ; with one
/// zero it is the product of the non-zeros at the zero and 0 elsewhere; with more, 0.
private let prodRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil] }
    let e = Emit(ctx), x = ctx.inputs[0]
    let (axes, keepdims) = try reduction(ctx)
    let isZero = try e.op("equal", [x, e.c(0, x)])
    let nonZero = try e.select(isZero, e.c(1, x), x)
    let attrs: Attributes = ["axes": .list(axes.map { .int($0) }), "keepdims": .bool(true)]
    let product = try e.op("prod", [nonZero], attrs)
    let zeros = try e.sum(e.indicator(isZero, x), axes: axes, keepdims: true)
    let none = try e.op("equal", [zeros, e.c(0, x)]), one = try e.op("equal", [zeros, e.c(1, x)])
    let atTheZero = try e.select(e.op("logical_and", [one, isZero]), product, e.c(0, x))
    let partial = try e.select(none, e.div(product, nonZero), atTheZero)
    return [try e.mul(partial, e.keepingDims(g, shape: x.shape, axes: axes, keepdims: keepdims))]
}

/// Ops that only rearrange elements into another shape: the cotangent is reshaped back.
private let reshapeBack: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil] }
    return [try Emit(ctx).reshape(g, ctx.inputs[0].shape)]
}

private let transposeRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil] }
    let rank = ctx.inputs[0].rank
    let list = ctx.arguments.value("perm")?.listValue ?? []
    let perm = list.isEmpty ? Array((0..<rank).reversed()) : list.map { $0.intValue! }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, p) in perm.enumerated() { inverse[p] = i }
    return [try Emit(ctx).op("transpose", [g], ["perm": .list(inverse.map { .int($0) })])]
}

/// concat: each operand's slice of the cotangent.
private let concatRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return ctx.inputs.map { _ in nil } }
    if ctx.inputs.count == 1 { return [g] }
    let e = Emit(ctx), axis = try Shapes.axis(try ctx.arguments.int("axis"), rank: g.rank, op: "concat")
    var start = 0
    return try ctx.inputs.map { x in
        let n = x.shape[axis].value!
        defer { start += n }
        return try e.slice(g, axis: axis, start: start, end: start + n)
    }
}

private let stackRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return ctx.inputs.map { _ in nil } }
    let e = Emit(ctx), axis = try Shapes.axis(try ctx.arguments.int("axis"), rank: g.rank, op: "stack")
    return try ctx.inputs.indices.map { i in try e.reshape(e.slice(g, axis: axis, start: i, end: i + 1), ctx.inputs[i].shape) }
}

/// split: the cotangents of the parts joined again (zeros for parts with none).
private let splitRule: GradientRule = { ctx in
    let e = Emit(ctx), axis = try Shapes.axis(try ctx.arguments.int("axis"), rank: ctx.inputs[0].rank, op: "split")
    let parts = try zip(ctx.cotangents, ctx.outputs).map { g, y in try g ?? e.zeros(y.type) }
    return [parts.count == 1 ? parts[0] : try e.op("concat", parts, ["axis": .int(axis)])]
}

/// slice: the cotangent put back at the selected positions, zeros elsewhere. A negative step
/// is a reversal then a positive step; a step s > 1 spreads the elements with s − 1 zeros
/// between them (a new axis padded, then merged); padding places the run in the axis.
private let sliceRule: GradientRule = { ctx in
    guard var g = ctx.cotangents[0] else { return [nil] }
    let e = Emit(ctx), x = ctx.inputs[0]
    let axis = try Shapes.axis(try ctx.arguments.int("axis"), rank: x.rank, op: "slice")
    let n = x.shape[axis].value!, len = g.shape[axis].value!
    var step = try ctx.arguments.int("step")
    var first = try ctx.arguments.int("start")
    if step > 0 { first = min(max(first < 0 ? first + n : first, 0), n) } else { first = min(max(first < 0 ? first + n : first, -1), n - 1) }
    if step < 0 {
        first += (len - 1) * step
        step = -step
        if len > 1 { g = try e.slice(g, axis: axis, start: len - 1, end: -len - 1, step: -1) }
    }
    if step > 1 && len > 1 {
        var spread = try e.op("expand_dims", [g], ["axis": .int(axis + 1)])
        spread = try e.pad(spread, axis: axis + 1, before: 0, after: step - 1)
        var shape = g.shape
        shape[axis] = .known(len * step)
        g = try e.slice(e.reshape(spread, shape), axis: axis, start: 0, end: (len - 1) * step + 1)
    }
    let span = g.shape[axis].value!
    return [try e.pad(g, axis: axis, before: first, after: n - first - span)]
}

/// gather: the cotangent rows added back at their indices (repeated indices accumulate).
private let gatherRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil, nil] }
    let e = Emit(ctx), x = ctx.inputs[0]
    return [try e.op("scatter_add", [e.zeros(x.type), ctx.inputs[1], g], ["axis": ctx.arguments.value("axis")!]), nil]
}

/// pad: the interior of the cotangent.
private let padRule: GradientRule = { ctx in
    guard var g = ctx.cotangents[0] else { return [nil] }
    let e = Emit(ctx), x = ctx.inputs[0]
    let pads = try ctx.arguments.intList("pads")
    let first = x.rank - pads.count / 2
    for k in 0..<(pads.count / 2) where pads[2 * k] + pads[2 * k + 1] > 0 {
        let axis = first + k, n = x.shape[axis].value!
        g = try e.slice(g, axis: axis, start: pads[2 * k], end: pads[2 * k] + n)
    }
    return [g]
}

let tensorGradients: GradientTable = [
    ("matmul", matmulRule),
    ("sum", sumRule(mean: false)), ("mean", sumRule(mean: true)),
    ("max", extremeRule), ("min", extremeRule), ("prod", prodRule),
    ("reshape", reshapeBack), ("expand_dims", reshapeBack), ("squeeze", reshapeBack), ("flatten", reshapeBack),
    ("transpose", transposeRule),
    ("broadcast_to", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        return [try Emit(ctx).reduce(g, to: ctx.inputs[0].type)]
    }),
    ("concat", concatRule), ("stack", stackRule), ("split", splitRule),
    ("slice", sliceRule), ("gather", gatherRule), ("pad", padRule),
]
