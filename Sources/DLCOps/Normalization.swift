// Normalization ops: batch_norm, layer_norm, softmax, log_softmax, local_response_norm.
import DLCCore

private func elements(_ args: Arguments, times k: Int) -> Int {
    ((try? args.tensor("x").type.elementCount()) ?? 0) &* k
}

/// A positive `eps`.
private func checkEps(_ args: Arguments, op: String) throws {
    let eps = try args.double("eps")
    guard eps > 0 else { throw DLCError("argument 'eps' of '\(op)' must be positive, found \(StaticValue.format(eps))", argument: "eps") }
}

/// `batch_norm` over channel dim 1 of [N, C] or [N, C, H, W]; the four statistics and
/// affine tensors are [C]. Training updates the running statistics in place (state).
private func inferBatchNorm(_ args: Arguments) throws -> [TensorType] {
    let op = "batch_norm"
    let x = try args.tensor("x").type
    guard x.rank == 2 || x.rank == 4 else {
        throw DLCError("'batch_norm' expects a tensor of rank 2 [N, C] or 4 [N, C, H, W], found \(x)", operands: [0])
    }
    try Shapes.requireFloat(x, operand: 0, op: op)
    let c = try Check.known(x, 1, operand: 0, op: op, what: "channel count")
    for (i, name) in ["weight", "bias", "running_mean", "running_var"].enumerated() {
        let t = try args.tensor(name).type
        guard t == TensorType(x.dtype, known: [c]) else {
            throw DLCError("'batch_norm' needs '\(name)' of type \(TensorType(x.dtype, known: [c])) for the input \(x), found \(t)",
                           operands: [i + 1])
        }
    }
    try checkEps(args, op: op)
    let m = try args.double("momentum")
    guard m >= 0, m <= 1 else {
        throw DLCError("argument 'momentum' of 'batch_norm' must be between 0 and 1, found \(StaticValue.format(m))", argument: "momentum")
    }
    return [x]
}

/// `layer_norm` over the last `axes` dimensions; weight and bias, when given, have their shape.
private func inferLayerNorm(_ args: Arguments) throws -> [TensorType] {
    let op = "layer_norm"
    let x = try args.tensor("x").type
    try Shapes.requireFloat(x, operand: 0, op: op)
    let k = try args.positiveInt("axes")
    guard k <= x.rank else {
        throw DLCError("'layer_norm' cannot normalize the last \(k) dimensions of \(x)", argument: "axes", operands: [0])
    }
    let normalized = TensorType(x.dtype, Array(x.shape.suffix(k)))
    var index = 1
    for name in ["weight", "bias"] {
        guard let t = args.optionalTensor(name)?.type else { continue }
        guard t == normalized else {
            throw DLCError("'layer_norm' needs '\(name)' of type \(normalized) (the last \(k) dimension\(k == 1 ? "" : "s") of \(x)), found \(t)",
                           operands: [index])
        }
        index += 1
    }
    try checkEps(args, op: op)
    return [x]
}

func registerNormalization(_ registry: Registry) throws {
    try registry.register(OpSpec("batch_norm", family: .normalization,
        signature: Signature([.operand("x", "[N, C] or [N, C, H, W]"), .operand("weight", "[C]"), .operand("bias", "[C]"),
                              .operand("running_mean", "[C]"), .operand("running_var", "[C]"),
                              .attr("eps", .float, .float(1e-5)), .attr("momentum", .float, .float(0.1))]),
        summary: "Batch normalization over channel dimension 1.",
        flops: { args, _ in elements(args, times: 5) }, infer: inferBatchNorm))
    try registry.register(OpSpec("layer_norm", family: .normalization,
        signature: Signature([.operand("x"), .optionalOperand("weight"), .optionalOperand("bias"),
                              .attr("axes", .int, .int(1), "the number of trailing dimensions normalized"),
                              .attr("eps", .float, .float(1e-5))]),
        summary: "Layer normalization over the trailing dimensions.",
        flops: { args, _ in elements(args, times: 5) }, infer: inferLayerNorm))
    for (name, summary) in [("softmax", "Softmax along an axis."), ("log_softmax", "Log of the softmax along an axis.")] {
        try registry.register(OpSpec(name, family: .activation,
            signature: Signature([.operand("x"), .attr("axis", .int, .int(-1))]),
            summary: summary, flops: { args, _ in elements(args, times: 5) }) { args in
            let x = try args.tensor("x").type
            try Shapes.requireFloat(x, operand: 0, op: name)
            guard x.rank > 0 else { throw DLCError("'\(name)' needs a tensor of rank 1 or more, found \(x)", operands: [0]) }
            _ = try Shapes.axis(try args.int("axis"), rank: x.rank, op: name)
            return [x]
        })
    }
    try registry.register(OpSpec("local_response_norm", family: .normalization,
        signature: Signature([.operand("x", "[N, C, ...]"), .attr("size", .int, .int(5), "channels in the window"),
                              .attr("alpha", .float, .float(1e-4)), .attr("beta", .float, .float(0.75)),
                              .attr("k", .float, .float(1.0))]),
        summary: "Local response normalization across channels (AlexNet).",
        flops: { args, _ in elements(args, times: ((try? args.int("size")) ?? 5) + 3) }) { args in
        let x = try args.tensor("x").type
        guard x.rank >= 3 else {
            throw DLCError("'local_response_norm' expects a tensor of rank 3 or more [N, C, ...], found \(x)", operands: [0])
        }
        try Shapes.requireFloat(x, operand: 0, op: "local_response_norm")
        _ = try args.positiveInt("size")
        return [x]
    })
}
