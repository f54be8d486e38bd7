// `convolution` and `conv_transpose` on NCHW tensors, with groups, dilation and bias.
import DLCCore

/// The checks common to both ops: float NCHW input, rank-4 weight of the same dtype with
/// known sizes, a known channel count, and groups dividing it.
private func checkOperands(_ args: Arguments, op: String) throws -> (x: TensorType, w: TensorType, groups: Int, channels: Int) {
    let x = try args.tensor("x").type, w = try args.tensor("weight").type
    try Check.rank(x, 4, layout: "[N, C, H, W]", operand: 0, op: op)
    try Shapes.requireFloat(x, operand: 0, op: op)
    try Check.sameDType(x, w, op: op)
    let layout = op == "convolution" ? "[Cout, Cin/groups, kh, kw]" : "[Cin, Cout/groups, kh, kw]"
    guard w.rank == 4 else { throw DLCError("'\(op)' expects a weight of rank 4 \(layout), found \(w)", operands: [1]) }
    guard Shapes.knownProduct(w.shape) != nil else {
        throw DLCError("'\(op)' needs a weight of known shape \(layout), found \(w)", operands: [1])
    }
    let c = try Check.known(x, 1, operand: 0, op: op, what: "channel count")
    let groups = try args.positiveInt("groups")
    guard c % groups == 0 else {
        throw DLCError("'\(op)' needs the input channels to be divisible by groups, but \(x) has \(c) channels and groups is \(groups)",
                       argument: "groups", operands: [0])
    }
    return (x, w, groups, c)
}

/// A bias must be `[outChannels]` of the input's dtype.
private func checkBias(_ args: Arguments, out: Int, weight: TensorType, op: String) throws {
    guard let bias = args.optionalTensor("bias")?.type else { return }
    guard bias.dtype == weight.dtype, bias.shape == [.known(out)] else {
        throw DLCError("'\(op)' needs a bias of type \(TensorType(weight.dtype, known: [out])) for the weight \(weight), found \(bias)",
                       operands: [2])
    }
}

/// `convolution`. With `padding: same` the output is ceil(H / stride) × ceil(W / stride)
/// (TensorFlow's rule; the odd pixel of padding goes at the bottom/right), for any stride.
private func inferConvolution(_ args: Arguments) throws -> [TensorType] {
    let (x, w, groups, c) = try checkOperands(args, op: "convolution")
    try ResultLayout.check(args, op: "convolution")
    let cout = w.shape[0].value!, perGroup = w.shape[1].value!
    guard perGroup * groups == c else {
        throw DLCError("cannot convolve \(x) with the weight \(w) in 'convolution': the weight takes \(perGroup * groups) input channel\(perGroup * groups == 1 ? "" : "s") (\(perGroup) per group × \(groups) group\(groups == 1 ? "" : "s")) but the input has \(c)",
                       operands: [0, 1])
    }
    guard cout % groups == 0 else {
        throw DLCError("'convolution' needs the output channels to be divisible by groups, but the weight \(w) has \(cout) and groups is \(groups)",
                       argument: "groups", operands: [1])
    }
    try checkBias(args, out: cout, weight: w, op: "convolution")
    let kernel = [w.shape[2].value!, w.shape[3].value!]
    let hw = try windowOutput(x, kernel: kernel, stride: try args.ints("stride", count: 2),
                              dilation: try args.ints("dilation", count: 2),
                              padding: try Padding.parse(args, op: "convolution", allowSame: true),
                              op: "convolution", what: "kernel", blame: nil, operands: [0, 1])
    return [x.with(shape: [x.shape[0], .known(cout), .known(hw[0]), .known(hw[1])])]
}

/// `conv_transpose`: the gradient of a convolution with respect to its input;
/// H_out = (H - 1)·stride - pad_top - pad_bottom + dilation·(kh - 1) + output_padding + 1.
private func inferConvTranspose(_ args: Arguments) throws -> [TensorType] {
    let (x, w, groups, c) = try checkOperands(args, op: "conv_transpose")
    try ResultLayout.check(args, op: "conv_transpose")
    guard w.shape[0].value! == c else {
        throw DLCError("cannot apply the transposed convolution weight \(w) to \(x) in 'conv_transpose': the weight takes \(w.shape[0]) input channels (dimension 0) but the input has \(c)",
                       operands: [0, 1])
    }
    let cout = w.shape[1].value! * groups
    try checkBias(args, out: cout, weight: w, op: "conv_transpose")
    let stride = try args.ints("stride", count: 2), dilation = try args.ints("dilation", count: 2)
    let outPad = try args.ints("output_padding", count: 2, minimum: 0)
    for i in 0..<2 where outPad[i] >= Swift.max(stride[i], dilation[i]) {
        throw DLCError("'conv_transpose' needs output_padding smaller than the stride or the dilation, found \(outPad[i]) with stride \(stride[i]) and dilation \(dilation[i])",
                       argument: "output_padding")
    }
    guard case .explicit(let pad) = try Padding.parse(args, op: "conv_transpose", allowSame: false) else {
        throw DLCError("'conv_transpose' does not support padding 'same'; give the amounts", argument: "padding")
    }
    let size = try spatialSize(x, operand: 0, op: "conv_transpose")
    var hw: [Int] = []
    for i in 0..<2 {
        let k = w.shape[2 + i].value!
        let o = (size[i] - 1) * stride[i] - pad[2 * i] - pad[2 * i + 1] + dilation[i] * (k - 1) + outPad[i] + 1
        guard o > 0 else {
            throw DLCError("'conv_transpose' of \(x) with the weight \(w) has no output: padding \(pad[2 * i] + pad[2 * i + 1]) removes more than the \((size[i] - 1) * stride[i] + dilation[i] * (k - 1) + outPad[i] + 1) pixels of the \(i == 0 ? "height" : "width")",
                           argument: "padding", operands: [0, 1])
        }
        hw.append(o)
    }
    return [x.with(shape: [x.shape[0], .known(cout), .known(hw[0]), .known(hw[1])])]
}

func registerConvolution(_ registry: Registry) throws {
    func signature(_ weightDoc: String, transposed: Bool) -> Signature {
        Signature([.operand("x", "[N, C, H, W]"), .operand("weight", weightDoc), .optionalOperand("bias", "[Cout]"),
                   .attr("stride", .ints, .int(1)),
                   .attr("padding", .value, .int(0), transposed ? "an int, [h, w] or [top, bottom, left, right]"
                         : "an int, [h, w], [top, bottom, left, right], same or valid")]
                  + (transposed ? [.attr("output_padding", .ints, .int(0), "extra size at the bottom/right")] : [])
                  + [.attr("dilation", .ints, .int(1)), .attr("groups", .int, .int(1)), ResultLayout.argument])
    }
    try registry.register(OpSpec("convolution", family: .convolution,
        signature: signature("[Cout, Cin/groups, kh, kw]", transposed: false),
        summary: "2-D convolution (cross-correlation) of NCHW tensors.",
        flops: { args, outs in
            // 2·Cout·Hout·Wout·(Cin/groups)·kh·kw·N = 2 · output elements · weight elements / Cout.
            guard let w = try? args.tensor("weight").type, let out = outs.first else { return 0 }
            return 2 &* out.elementCount() &* (w.elementCount() / max(1, count(w.shape[0])))
        },
        infer: inferConvolution))
    try registry.register(OpSpec("conv_transpose", family: .convolution,
        signature: signature("[Cin, Cout/groups, kh, kw]", transposed: true),
        summary: "2-D transposed convolution of NCHW tensors.",
        flops: { args, _ in
            // 2·Cin·H·W·(Cout/groups)·kh·kw·N = 2 · input elements · weight elements / Cin.
            guard let x = try? args.tensor("x").type, let w = try? args.tensor("weight").type else { return 0 }
            return 2 &* x.elementCount() &* (w.elementCount() / max(1, count(w.shape[0])))
        },
        infer: inferConvTranspose))
}
