// Batch normalization in training mode as the CPU back end runs it: one op that normalizes
// with the batch's statistics and also returns them (for the running statistics), and one
// backward op that returns every gradient at once. The training step (DLCTraining) puts
// `batch_norm_training` in place of a `batch_norm` it trains; both map onto oneDNN's batch
// normalization primitives.
import DLCCore

/// x [N, C] or [N, C, H, W] of a float type, and [C] vectors of the same type.
private func checkBatchNormOperands(_ x: TensorType, vectors: [(String, TensorType)], op: String) throws -> Dim {
    guard x.rank == 2 || x.rank == 4 else {
        throw DLCError("'\(op)' expects x of rank 2 [N, C] or 4 [N, C, H, W], found \(x)", operands: [0])
    }
    try Shapes.requireFloat(x, operand: 0, op: op)
    let channels = TensorType(x.dtype, [x.shape[1]])
    for (k, (name, t)) in vectors.enumerated() where t != channels {
        throw DLCError("'\(op)' needs '\(name)' of type \(channels) (the channels of \(x)), found \(t)", operands: [k + 1])
    }
    return x.shape[1]
}

private func checkEps(_ args: Arguments, op: String) throws {
    let eps = try args.double("eps")
    guard eps > 0 else { throw DLCError("argument 'eps' of '\(op)' must be positive, found \(StaticValue.format(eps))", argument: "eps") }
}

func registerBatchNormTraining(_ registry: Registry) throws {
    try registry.register(OpSpec("batch_norm_training", family: .normalization,
        signature: Signature([.operand("x", "[N, C] or [N, C, H, W]"), .operand("weight", "[C]"), .operand("bias", "[C]"),
                              .attr("eps", .float, .float(1e-5))]),
        summary: "Batch normalization with the batch's statistics over all axes but 1; also returns the batch mean and biased variance [C].",
        flops: { args, _ in ((try? args.tensor("x").type.elementCount()) ?? 0) * 7 }) { args in
        let op = "batch_norm_training"
        let x = try args.tensor("x").type
        let c = try checkBatchNormOperands(x, vectors: [("weight", try args.tensor("weight").type),
                                                        ("bias", try args.tensor("bias").type)], op: op)
        try checkEps(args, op: op)
        return [x, TensorType(x.dtype, [c]), TensorType(x.dtype, [c])]
    })
    try registry.register(OpSpec("batch_norm_backward", family: .normalization,
        signature: Signature([.operand("x", "[N, C] or [N, C, H, W]"), .operand("weight", "[C]"), .operand("mean", "[C]"),
                              .operand("variance", "[C]"), .operand("grad_out", "x's type"), .attr("eps", .float, .float(1e-5))]),
        summary: "The gradients of batch_norm_training with respect to x, weight and bias, from the batch statistics it returned.",
        differentiable: false,
        flops: { args, _ in ((try? args.tensor("x").type.elementCount()) ?? 0) * 9 }) { args in
        let op = "batch_norm_backward"
        let x = try args.tensor("x").type, g = try args.tensor("grad_out").type
        let c = try checkBatchNormOperands(x, vectors: [("weight", try args.tensor("weight").type),
                                                        ("mean", try args.tensor("mean").type),
                                                        ("variance", try args.tensor("variance").type)], op: op)
        guard g == x else { throw DLCError("'\(op)' needs grad_out of x's type \(x), found \(g)", operands: [4]) }
        try checkEps(args, op: op)
        return [x, TensorType(x.dtype, [c]), TensorType(x.dtype, [c])]
    })
}
