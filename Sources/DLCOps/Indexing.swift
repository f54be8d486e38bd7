// Ops that select, pad or convert elements: slice, gather, where, pad, one_hot, cast,
// stop_gradient.
import DLCCore

/// The number of elements Python's `range(n)[start:end:step]` selects.
func sliceLength(_ n: Int, start: Int, end: Int, step: Int) -> Int {
    // A step longer than the axis selects at most one element; clamping it avoids overflow.
    let step = Swift.max(Swift.min(step, n + 1), -(n + 1))
    func clamp(_ i: Int, _ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(i, lo), hi) }
    if step > 0 {
        let s = clamp(start < 0 ? start + n : start, 0, n), e = clamp(end < 0 ? end + n : end, 0, n)
        return e > s ? (e - s + step - 1) / step : 0
    }
    let s = clamp(start < 0 ? start + n : start, -1, n - 1), e = clamp(end < 0 ? end + n : end, -1, n - 1)
    return s > e ? (s - e - step - 1) / -step : 0
}

private func inferSlice(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    guard x.rank > 0 else { throw DLCError("'slice' needs a tensor of rank 1 or more, found \(x)", operands: [0]) }
    let axis = try Shapes.axis(try args.int("axis"), rank: x.rank, op: "slice")
    let start = try args.int("start"), end = try args.int("end"), step = try args.int("step")
    guard step != 0 else { throw DLCError("argument 'step' of 'slice' must not be 0", argument: "step") }
    guard let n = x.shape[axis].value else {
        throw DLCError("'slice' needs a known size along axis \(axis), found \(x.shape[axis]) in \(x)", operands: [0])
    }
    let len = sliceLength(n, start: start, end: end, step: step)
    guard len > 0 else {
        throw DLCError("'slice' selects no elements of axis \(axis) of \(x) with start \(start), end \(end), step \(step)",
                       argument: "start", operands: [0])
    }
    var shape = x.shape
    shape[axis] = .known(len)
    return [x.with(shape: shape)]
}

private func inferGather(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type, idx = try args.tensor("indices").type
    try Check.integer(idx, operand: 1, op: "gather", what: "indices")
    guard x.rank > 0 else { throw DLCError("'gather' needs a tensor of rank 1 or more to index, found \(x)", operands: [0]) }
    let axis = try Shapes.axis(try args.int("axis"), rank: x.rank, op: "gather")
    return [x.with(shape: Array(x.shape[..<axis]) + idx.shape + Array(x.shape[(axis + 1)...]))]
}

private func inferWhere(_ args: Arguments) throws -> [TensorType] {
    let c = try args.tensor("cond").type, a = try args.tensor("a").type, b = try args.tensor("b").type
    try Check.bool(c, operand: 0, op: "where")
    try Check.sameDType(a, b, op: "where", operands: [1, 2])
    let ab = try Shapes.broadcast(a.shape, b.shape) { i, da, db in
        DLCError("cannot broadcast \(a) and \(b) in 'where': dimension \(i) is \(da) in one and \(db) in the other", operands: [1, 2])
    }
    let shape = try Shapes.broadcast(c.shape, ab) { i, dc, dv in
        DLCError("cannot broadcast the condition \(c) against the values \(TensorType(a.dtype, ab)) in 'where': dimension \(i) is \(dc) in one and \(dv) in the other",
                 operands: [0])
    }
    return [TensorType(a.dtype, shape)]
}

/// `pads` holds (before, after) pairs for the last k axes, in axis order.
private func inferPad(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    let pads = try args.intList("pads")
    _ = try args.double("value")
    guard !pads.isEmpty, pads.count % 2 == 0, pads.count / 2 <= x.rank else {
        throw DLCError("argument 'pads' of 'pad' must hold (before, after) pairs for at most \(x.rank) trailing axes of \(x), found \(pads.count) numbers",
                       argument: "pads")
    }
    if let bad = pads.first(where: { $0 < 0 }) {
        throw DLCError("argument 'pads' of 'pad' must not be negative, found \(bad); use slice() to crop", argument: "pads")
    }
    var shape = x.shape
    let first = x.rank - pads.count / 2
    for k in 0..<(pads.count / 2) {
        let axis = first + k, add = pads[2 * k] + pads[2 * k + 1]
        guard add > 0 else { continue }
        guard let n = shape[axis].value else {
            throw DLCError("'pad' needs a known size to pad axis \(axis) of \(x), found \(shape[axis])", argument: "pads", operands: [0])
        }
        shape[axis] = .known(n + add)
    }
    return [x.with(shape: shape)]
}

func registerIndexing(_ registry: Registry) throws {
    let x = ArgSpec.operand("x")
    try registry.register(OpSpec("slice", family: .dataMovement,
        signature: Signature([x, .attr("axis", .int), .attr("start", .int), .attr("end", .int), .attr("step", .int, .int(1))]),
        summary: "Elements start..<end by step along one axis (Python semantics, clamped).", infer: inferSlice))
    try registry.register(OpSpec("gather", family: .dataMovement,
        signature: Signature([x, .operand("indices", "integer indices"), .attr("axis", .int, .int(0))]),
        summary: "Picks slices of x along an axis by integer indices; the indices' shape replaces the axis.", infer: inferGather))
    try registry.register(OpSpec("where", family: .elementwise,
        signature: Signature([.operand("cond", "bool condition"), .operand("a"), .operand("b")]),
        summary: "a where cond is true, b elsewhere, broadcasting all three.", infer: inferWhere))
    try registry.register(OpSpec("pad", family: .dataMovement,
        signature: Signature([x, .attr("pads", .ints, nil, "(before, after) pairs for the last axes, in axis order"),
                              .attr("value", .float, .float(0.0), "the fill value")]),
        summary: "Pads the trailing axes with a constant.", infer: inferPad))
    try registry.register(OpSpec("one_hot", family: .dataMovement,
        signature: Signature([.operand("indices", "integer class indices"), .attr("depth", .int, nil, "the number of classes")]),
        summary: "f32[..., depth] with 1 at each index.", differentiable: false) { args in
        let idx = try args.tensor("indices").type
        try Check.integer(idx, operand: 0, op: "one_hot", what: "indices")
        return [TensorType(.f32, idx.shape + [.known(try args.positiveInt("depth"))])]
    })
    // Differentiable as a whole; the gradient rule gives zero when either side is not a float.
    try registry.register(OpSpec("cast", family: .elementwise,
        signature: Signature([x, .attr("dtype", .dtype, nil, "the new element type")]),
        summary: "Converts elements to another dtype.") { args in
        let t = try args.tensor("x").type
        guard case .dtype(let d)? = args.value("dtype") else {
            throw DLCError("argument 'dtype' of 'cast' must be a dtype, found \(args.value("dtype")?.description ?? "nothing")", argument: "dtype")
        }
        return [t.with(dtype: d)]
    })
    try registry.register(OpSpec("stop_gradient", family: .other, signature: Signature([x]),
        summary: "The identity, through which no gradient flows.", differentiable: false) { args in
        [try args.tensor("x").type]
    })
}
