// Random sampling (random_uniform, random_normal, bernoulli) and dropout (dropout_mask and
// the dropout layer).
import DLCCore

/// A shape for a sampled tensor: positive integers and symbols, no -1.
private func sampleShape(_ args: Arguments, op: String) throws -> [Dim] {
    try parseShape(args, "shape", op: op, allowInfer: false).map { $0! }
}

/// A floating-point `dtype` attribute.
private func floatDType(_ args: Arguments, op: String) throws -> DType {
    guard case .dtype(let d)? = args.value("dtype"), d.isFloat else {
        throw DLCError("argument 'dtype' of '\(op)' must be f32 or f64, found \(args.value("dtype")?.description ?? "nothing")",
                       argument: "dtype")
    }
    return d
}

private func outputElements(_: Arguments, _ outs: [TensorType]) -> Int { outs.first?.elementCount() ?? 0 }

func registerRandom(_ registry: Registry) throws {
    try registry.register(OpSpec("random_uniform", family: .random,
        signature: Signature([.attr("shape", .shape, nil, "dimensions; symbols allowed"),
                              .attr("low", .float, .float(0.0)), .attr("high", .float, .float(1.0)),
                              .attr("dtype", .dtype, .dtype(.f32))]),
        summary: "Samples U(low, high).", differentiable: false, flops: outputElements) { args in
        let lo = try args.double("low"), hi = try args.double("high")
        guard lo < hi else {
            throw DLCError("'random_uniform' needs low < high, found low \(StaticValue.format(lo)) and high \(StaticValue.format(hi))",
                           argument: "high")
        }
        return [TensorType(try floatDType(args, op: "random_uniform"), try sampleShape(args, op: "random_uniform"))]
    })
    try registry.register(OpSpec("random_normal", family: .random,
        signature: Signature([.attr("shape", .shape, nil, "dimensions; symbols allowed"),
                              .attr("mean", .float, .float(0.0)), .attr("std", .float, .float(1.0)),
                              .attr("dtype", .dtype, .dtype(.f32))]),
        summary: "Samples N(mean, std²).", differentiable: false, flops: outputElements) { args in
        let std = try args.double("std")
        guard std >= 0 else {
            throw DLCError("'random_normal' needs std >= 0, found \(StaticValue.format(std))", argument: "std")
        }
        _ = try args.double("mean")
        return [TensorType(try floatDType(args, op: "random_normal"), try sampleShape(args, op: "random_normal"))]
    })
    try registry.register(OpSpec("bernoulli", family: .random,
        signature: Signature([.operand("p", "probabilities")]),
        summary: "Samples 1 with probability p and 0 otherwise, elementwise (same type as p).",
        differentiable: false, flops: outputElements) { args in
        let p = try args.tensor("p").type
        try Shapes.requireFloat(p, operand: 0, op: "bernoulli")
        return [p]
    })
    // The op of graphs built by hand (and of back ends that fuse the mask): its mask is drawn
    // inside, so no gradient can be formed for it; `.dlg` files call the `dropout` layer below.
    try registry.register(OpSpec("dropout", family: .other,
        signature: Signature([.operand("x"), .attr("rate", .float, .float(0.5), "the probability of zeroing an element")]),
        summary: "Zeroes elements with probability rate in training and scales the rest by 1/(1 - rate); the identity in inference. Not differentiable: .dlg files get the dropout layer (x · dropout_mask(x, rate)).",
        differentiable: false, flops: outputElements) { args in
        let x = try args.tensor("x").type
        try Shapes.requireFloat(x, operand: 0, op: "dropout")
        let rate = try args.double("rate")
        guard rate >= 0, rate < 1 else {
            throw DLCError("argument 'rate' of 'dropout' must be at least 0 and less than 1, found \(StaticValue.format(rate))",
                           argument: "rate")
        }
        return [x]
    })
    // Dropout is a layer over this op: `dropout(x, rate)` is `mul(x, dropout_mask(x, rate))`,
    // so the mask the forward pass drew is an ordinary value and autodiff differentiates the
    // `mul` (the gradient is grad · mask, exact at x = 0 too).
    try registry.register(OpSpec("dropout_mask", family: .random,
        signature: Signature([.operand("x", "the tensor to drop elements of"),
                              .attr("rate", .float, .float(0.5), "the probability of zeroing an element")]),
        summary: "Dropout's scaled keep mask for x: in training 1/(1 - rate) with probability 1 - rate and 0 otherwise; all ones in inference.",
        differentiable: false, flops: outputElements) { args in
        let x = try args.tensor("x").type
        try Shapes.requireFloat(x, operand: 0, op: "dropout_mask")
        let rate = try args.double("rate")
        guard rate >= 0, rate < 1 else {
            throw DLCError("argument 'rate' of 'dropout_mask' must be at least 0 and less than 1, found \(StaticValue.format(rate))",
                           argument: "rate")
        }
        return [x]
    })
    try registry.register(LayerSpec("dropout",
        signature: Signature([.operand("x"), .attr("rate", .float, .float(0.5), "the probability of zeroing an element")]),
        summary: "Zeroes elements with probability rate in training and scales the rest by 1/(1 - rate); the identity in inference (x · dropout_mask(x, rate)).",
        createsParameters: false) { b, args in
        let x = try args.tensor("x")
        let mask = try b.op1("dropout_mask", [x], ["rate": args.value("rate")!])
        return [try b.op1("mul", [x, mask])]
    })
}
