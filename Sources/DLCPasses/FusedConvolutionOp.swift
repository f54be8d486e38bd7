import DLCCore

/// The `fused_convolution` op: a `convolution` followed by its epilogue (a residual add,
/// per-channel adds, scaling, activations), one kernel (made by the fuse-epilogue pass).
/// Operands: x [N, C, H, W], the weight, the convolution's bias when `bias` is true, then the
/// operands the epilogue adds. The window attributes are the convolution's. Not
/// differentiable (fusion runs after autodiff).
public let fusedConvolutionOp = OpSpec(
    "fused_convolution", family: .convolution,
    signature: Signature([ArgSpec("xs", .tensors, doc: "x, the weight, the bias (if `bias`), then the operands the epilogue adds"),
                          ArgSpec("stride", .ints, default: .int(1), doc: "as in convolution"),
                          ArgSpec("padding", .value, default: .int(0), doc: "as in convolution"),
                          ArgSpec("dilation", .ints, default: .int(1), doc: "as in convolution"),
                          ArgSpec("groups", .int, default: .int(1), doc: "as in convolution"),
                          ArgSpec("bias", .bool, default: .bool(false), doc: "operand 2 is the convolution's bias"),
                          ArgSpec("epilogue", .value, doc: "the steps after the convolution (see Epilogue)"),
                          ResultLayout.argument]),
    summary: "A convolution with its residual, per-channel, scaling and activation epilogue in one kernel (made by the fuse-epilogue pass).",
    differentiable: false,
    flops: { args, outs in
        let xs = args.tensorList("xs")
        guard xs.count >= 2, let out = outs.first else { return 0 }
        let w = xs[1].type, perOutput = w.elementCount() / max(1, w.rank > 0 ? (w.shape[0].value ?? 1) : 1)
        // As a convolution: 2 · output elements · weight elements / Cout.
        let product = 2 &* out.elementCount() &* perOutput
        return product &+ out.elementCount() &* (args.statics["epilogue"]?.listValue?.count ?? 0)
    },
    infer: inferFusedConvolution)

/// The result type of a fused convolution: the convolution's, checked against the bias and
/// the epilogue's operands.
private func inferFusedConvolution(_ args: Arguments) throws -> [TensorType] {
    let op = "fused_convolution"
    let xs = args.tensorList("xs")
    let hasBias = try args.bool("bias")
    try ResultLayout.check(args, op: op)
    let first = hasBias ? 3 : 2
    guard xs.count >= first else {
        throw DLCError("\(op) needs x, the weight\(hasBias ? " and the bias" : ""), found \(xs.count) operand\(xs.count == 1 ? "" : "s")")
    }
    let x = xs[0].type, w = xs[1].type
    guard x.rank == 4, w.rank == 4, x.dtype == w.dtype, x.dtype.isFloat, let kh = w.shape[2].value, let kw = w.shape[3].value,
          let w0 = w.shape[0].value, let w1 = w.shape[1].value else {
        throw DLCError("\(op) needs a float x [N, C, H, W] and a weight of rank 4 and known shape of one element type, found \(x) and \(w)")
    }
    let groups = try args.positiveInt("groups")
    let stride = try args.ints("stride", count: 2), dilation = try args.ints("dilation", count: 2)
    guard let c = x.shape[1].value, w1 * groups == c, w0 % groups == 0 else {
        throw DLCError("\(op): the weight \(w) with \(groups) group\(groups == 1 ? "" : "s") does not take the channels of \(x)")
    }
    let cout = w0
    let hw = try windowOutput(x, kernel: [kh, kw], stride: stride, dilation: dilation,
                              padding: try Padding.parse(args, op: op, allowSame: true), op: op, what: "kernel", blame: nil, operands: [0, 1])
    let result = x.with(shape: [x.shape[0], .known(cout), .known(hw[0]), .known(hw[1])])
    if hasBias, xs[2].type != TensorType(x.dtype, known: [cout]) {
        throw DLCError("\(op) needs a bias of type \(TensorType(x.dtype, known: [cout])), found \(xs[2].type)")
    }
    let epilogue = try Epilogue(attribute: args.statics["epilogue"], operands: xs.count, firstOperand: first, op: op)
    guard epilogue.maskOperands.isEmpty else { throw DLCError("\(op): a relu_mask step is for fused_matmul only (oneDNN has no such post-op)") }
    for i in epilogue.addedOperands {
        let t = xs[i].type
        guard t.dtype == x.dtype else { throw DLCError("\(op): the added operand \(i) is \(t), not \(x.dtype)") }
        _ = try Shapes.broadcast(t.shape, result.shape) { j, a, b in
            DLCError("\(op): the added operand \(t) does not broadcast to \(result) (\(a) against \(b) at \(j))")
        }
    }
    return [result]
}
