// Backward ops: the parts of gradients that the forward op set cannot express (or not
// reasonably). The gradient rules in Gradients/ emit them; they have shape rules like any
// op, and are not differentiable themselves (no second-order gradients).
import DLCCore

/// The same-type check of `x` and the cotangent operand of a backward op.
private func checkGradOut(_ x: TensorType, _ g: TensorType, expected: TensorType, op: String) throws {
    try Check.sameDType(x, g, op: op)
    guard g == expected else {
        throw DLCError("'\(op)' needs grad_out of type \(expected) (the forward result for \(x)), found \(g)", operands: [1])
    }
}

/// `convolution_backward_weight(x, grad_out)`: the gradient of `convolution` with respect to
/// its weight, [Cout, Cin/groups, kh, kw], with Cout from grad_out. `padding` is explicit
/// [top, bottom, left, right]; positions outside x count as zeros.
private func inferConvBackwardWeight(_ args: Arguments) throws -> [TensorType] {
    let op = "convolution_backward_weight"
    let x = try args.tensor("x").type, g = try args.tensor("grad_out").type
    try Check.rank(x, 4, layout: "[N, Cin, H, W]", operand: 0, op: op)
    try Check.rank(g, 4, layout: "[N, Cout, Hout, Wout]", operand: 1, op: op)
    try Shapes.requireFloat(x, operand: 0, op: op)
    try Check.sameDType(x, g, op: op)
    guard x.shape[0] == g.shape[0] else {
        throw DLCError("'\(op)' needs x and grad_out with the same batch, found \(x) and \(g)", operands: [0, 1])
    }
    let cin = try Check.known(x, 1, operand: 0, op: op, what: "channel count")
    let cout = try Check.known(g, 1, operand: 1, op: op, what: "channel count")
    let groups = try args.positiveInt("groups")
    guard cin % groups == 0, cout % groups == 0 else {
        throw DLCError("'\(op)' needs channel counts divisible by groups (\(groups)), found \(cin) and \(cout)", argument: "groups")
    }
    _ = try spatialSize(x, operand: 0, op: op)
    _ = try spatialSize(g, operand: 1, op: op)
    _ = try args.ints("stride", count: 2)
    _ = try args.ints("dilation", count: 2)
    guard case .explicit = try Padding.parse(args, op: op, allowSame: false) else {
        throw DLCError("'\(op)' needs explicit padding", argument: "padding")
    }
    let k = try args.ints("kernel", count: 2)
    return [x.with(shape: [.known(cout), .known(cin / groups), .known(k[0]), .known(k[1])])]
}

/// Pooling backward ops: x and the cotangent of the pooled result, with the forward op's
/// attributes; the result is x's type.
private func inferPoolBackward(_ args: Arguments, forward: String) throws -> [TensorType] {
    let op = forward + "_backward"
    let x = try args.tensor("x").type, g = try args.tensor("grad_out").type
    let expected = try inferPool(args, op: forward)[0]
    try checkGradOut(x, g, expected: expected, op: op)
    return [x]
}

/// `scatter_add(x, indices, updates, axis)`: x with the slices of updates added at the
/// indices along axis (repeats accumulate); updates has gather's result shape.
private func inferScatterAdd(_ args: Arguments) throws -> [TensorType] {
    let op = "scatter_add"
    let x = try args.tensor("x").type, idx = try args.tensor("indices").type, u = try args.tensor("updates").type
    try Check.integer(idx, operand: 1, op: op, what: "indices")
    try Check.numeric(x, operand: 0, op: op)
    guard x.rank > 0 else { throw DLCError("'\(op)' needs a tensor of rank 1 or more, found \(x)", operands: [0]) }
    let axis = try Shapes.axis(try args.int("axis"), rank: x.rank, op: op)
    let expected = x.with(shape: Array(x.shape[..<axis]) + idx.shape + Array(x.shape[(axis + 1)...]))
    guard u == expected else {
        throw DLCError("'\(op)' needs updates of type \(expected) for \(x) indexed by \(idx) along axis \(axis), found \(u)",
                       operands: [2])
    }
    return [x]
}

func registerBackwardOps(_ registry: Registry) throws {
    let perElement: (Arguments, [TensorType]) -> Int = { _, outs in (outs.first?.elementCount() ?? 0) &* 4 }
    try registry.register(OpSpec("convolution_backward_weight", family: .convolution,
        signature: Signature([.operand("x", "[N, Cin, H, W]"), .operand("grad_out", "[N, Cout, Hout, Wout]"),
                              .attr("stride", .ints, .int(1)),
                              .attr("padding", .value, .int(0), "an int, [h, w] or [top, bottom, left, right]"),
                              .attr("dilation", .ints, .int(1)), .attr("groups", .int, .int(1)),
                              .attr("kernel", .ints, nil, "the weight's [kh, kw]")]),
        summary: "Gradient of convolution with respect to its weight.", differentiable: false,
        flops: { args, outs in
            guard let g = try? args.tensor("grad_out").type, let w = outs.first else { return 0 }
            return 2 &* g.elementCount() &* (w.elementCount() / max(1, count(w.shape[0])))
        },
        infer: inferConvBackwardWeight))
    for forward in ["maxpool2d", "avgpool2d"] {
        try registry.register(OpSpec(forward + "_backward", family: .pooling,
            signature: Signature([.operand("x", "[N, C, H, W]"), .operand("grad_out", "the cotangent of the pooled result"),
                                  .attr("kernel", .ints, nil), .attr("stride", .value, .symbol("none")),
                                  .attr("padding", .ints, .int(0)), .attr("ceil_mode", .bool, .bool(false))]),
            summary: "Gradient of \(forward) with respect to its input.", differentiable: false,
            flops: { args, _ in
                let k = (try? args.ints("kernel", count: 2)) ?? [1, 1]
                return ((try? args.tensor("grad_out").type.elementCount()) ?? 0) &* k[0] &* k[1]
            },
            infer: { try inferPoolBackward($0, forward: forward) }))
    }
    try registry.register(OpSpec("scatter_add", family: .dataMovement,
        signature: Signature([.operand("x"), .operand("indices", "integer indices"), .operand("updates", "gather's result shape"),
                              .attr("axis", .int, .int(0))]),
        summary: "x with slices of updates added at integer indices along an axis (the gradient of gather).",
        differentiable: false, infer: inferScatterAdd))
    try registry.register(OpSpec("gelu_backward", family: .activation,
        signature: Signature([.operand("x"), .operand("grad_out"), .attr("approximate", .bool, .bool(false))]),
        summary: "Gradient of gelu: grad_out · gelu'(x).", differentiable: false, flops: perElement) { args in
        let x = try args.tensor("x").type, g = try args.tensor("grad_out").type
        try Shapes.requireFloat(x, operand: 0, op: "gelu_backward")
        try checkGradOut(x, g, expected: x, op: "gelu_backward")
        return [x]
    })
}
