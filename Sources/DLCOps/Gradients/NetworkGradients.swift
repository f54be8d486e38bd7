// Gradient rules of convolution, pooling and normalization. Convolutions and pooling use
// the backward ops of Backward.swift (and conv_transpose/convolution, each other's adjoint);
// normalizations and softmax are expressed in primitives.
import DLCCore

/// The explicit [top, bottom, left, right] padding of a convolution node (resolving `same`).
private func explicitPadding(_ args: Arguments, x: Tensor, kernel: [Int], stride: [Int], dilation: [Int], op: String) throws -> [Int] {
    switch try Padding.parse(args, op: op, allowSame: op == "convolution") {
    case .explicit(let p): return p
    case .same:
        let size = try spatialSize(x.type, operand: 0, op: op)
        var p: [Int] = []
        for i in 0..<2 {
            let o = (size[i] + stride[i] - 1) / stride[i]
            let total = max((o - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - size[i], 0)
            p += [total / 2, total - total / 2]
        }
        return p
    }
}

private func ints(_ xs: [Int]) -> StaticValue { .list(xs.map { .int($0) }) }

/// convolution: dx is conv_transpose of the cotangent with the same weight, with the
/// output_padding that restores x's size (the rows the last window did not reach);
/// dweight is its own op; dbias sums over N, H, W.
private let convolutionRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return ctx.inputs.map { _ in nil } }
    let e = Emit(ctx), x = ctx.inputs[0], w = ctx.inputs[1], args = ctx.arguments
    let kernel = [w.shape[2].value!, w.shape[3].value!]
    let stride = try args.ints("stride", count: 2), dilation = try args.ints("dilation", count: 2)
    let groups = try args.int("groups")
    let pad = try explicitPadding(args, x: x, kernel: kernel, stride: stride, dilation: dilation, op: "convolution")
    let size = try spatialSize(x.type, operand: 0, op: "convolution"), out = try spatialSize(g.type, operand: 0, op: "convolution")
    var outPad: [Int] = []
    for i in 0..<2 {
        let reach: Int = (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
        outPad.append(size[i] + pad[2 * i] + pad[2 * i + 1] - reach)
    }
    let common: Attributes = ["stride": ints(stride), "padding": ints(pad), "dilation": ints(dilation), "groups": .int(groups)]
    var transposeAttrs = common
    transposeAttrs["output_padding"] = ints(outPad)
    let dx = try e.op("conv_transpose", [g, w], transposeAttrs)
    var weightAttrs = common
    weightAttrs["kernel"] = ints(kernel)
    let dw = try e.op("convolution_backward_weight", [x, g], weightAttrs)
    var result: [Tensor?] = [dx, dw]
    if ctx.inputs.count > 2 { result.append(try e.sum(g, axes: [0, 2, 3], keepdims: false)) }
    return result
}

/// conv_transpose is the adjoint of convolution: dx = convolution(g, weight) (cropped to x
/// when output_padding reached past the last input row), and dweight is
/// convolution_backward_weight with the roles of x and the cotangent swapped.
private let convTransposeRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return ctx.inputs.map { _ in nil } }
    let e = Emit(ctx), x = ctx.inputs[0], w = ctx.inputs[1], args = ctx.arguments
    let kernel = [w.shape[2].value!, w.shape[3].value!]
    let stride = try args.ints("stride", count: 2), dilation = try args.ints("dilation", count: 2)
    let pad = try explicitPadding(args, x: x, kernel: kernel, stride: stride, dilation: dilation, op: "conv_transpose")
    let common: Attributes = ["stride": ints(stride), "padding": ints(pad), "dilation": ints(dilation),
                              "groups": .int(try args.int("groups"))]
    var dx = try e.op("convolution", [g, w], common)
    for axis in 2..<4 where dx.shape[axis] != x.shape[axis] {
        dx = try e.slice(dx, axis: axis, start: 0, end: x.shape[axis].value!)
    }
    var weightAttrs = common
    weightAttrs["kernel"] = ints(kernel)
    let dw = try e.op("convolution_backward_weight", [g, x], weightAttrs)
    var result: [Tensor?] = [dx, dw]
    if ctx.inputs.count > 2 { result.append(try e.sum(g, axes: [0, 2, 3], keepdims: false)) }
    return result
}

private func poolRule(_ op: String) -> GradientRule {
    { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        return [try Emit(ctx).op(op + "_backward", [ctx.inputs[0], g], ctx.arguments.statics)]
    }
}

/// Normalization over `axes` with batch statistics: given x, the cotangent and the optional
/// scale (already broadcastable), returns dx, x̂ = (x − mean)·rstd.
/// dx = rstd · (gw − mean(gw) − x̂ · mean(gw · x̂)) with gw = g · weight.
private func normalizeBackward(_ e: Emit, x: Tensor, g: Tensor, weight: Tensor?, axes: [Int], eps: Double) throws -> (dx: Tensor, xhat: Tensor) {
    let centered = try e.sub(x, e.mean(x, axes: axes, keepdims: true))
    let variance = try e.mean(e.op("square", [centered]), axes: axes, keepdims: true)
    let rstd = try e.op("rsqrt", [e.add(variance, e.c(eps, x))])
    let xhat = try e.mul(centered, rstd)
    let gw = try weight.map { try e.mul(g, $0) } ?? g
    let inner = try e.sub(e.sub(gw, e.mean(gw, axes: axes, keepdims: true)),
                          e.mul(xhat, e.mean(e.mul(gw, xhat), axes: axes, keepdims: true)))
    return (try e.mul(rstd, inner), xhat)
}

/// batch_norm in training mode (batch statistics over all axes but 1, biased variance);
/// the running statistics get no gradient.
private let batchNormRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil, nil, nil, nil, nil] }
    let e = Emit(ctx), x = ctx.inputs[0], w = ctx.inputs[1]
    let axes = x.rank == 2 ? [0] : [0, 2, 3]
    let channelShape: [Dim] = x.rank == 2 ? [.known(1), x.shape[1]] : [.known(1), x.shape[1], .known(1), .known(1)]
    let (dx, xhat) = try normalizeBackward(e, x: x, g: g, weight: e.reshape(w, channelShape), axes: axes,
                                           eps: try ctx.arguments.double("eps"))
    let dw = try e.sum(e.mul(g, xhat), axes: axes, keepdims: false)
    let db = try e.sum(g, axes: axes, keepdims: false)
    return [dx, dw, db, nil, nil]
}

/// batch_norm_training: every gradient of the normalized result from one
/// `batch_norm_backward`. The batch statistics it also returns usually feed only the running
/// statistics (no gradient); where a loss uses them, x gets their share too:
/// ∂mean/∂x = 1/m and ∂var/∂x = 2(x − mean)/m per channel, m = N·H·W.
private let batchNormTrainingRule: GradientRule = { ctx in
    let e = Emit(ctx), x = ctx.inputs[0]
    var dx: Tensor?, dw: Tensor?, db: Tensor?
    if let g = ctx.cotangents[0] {
        let grads = try ctx.builder.op("batch_norm_backward", [x, ctx.inputs[1], ctx.outputs[1], ctx.outputs[2], g],
                                       ["eps": .float(try ctx.arguments.double("eps"))])
        (dx, dw, db) = (grads[0], grads[1], grads[2])
    }
    let gm = ctx.cotangents[1], gv = ctx.cotangents[2]
    if gm != nil || gv != nil {
        let channelShape: [Dim] = x.rank == 2 ? [.known(1), x.shape[1]] : [.known(1), x.shape[1], .known(1), .known(1)]
        let reduced = x.rank == 2 ? [x.shape[0]] : [x.shape[0], x.shape[2], x.shape[3]]
        let m = try e.count(reduced, x)
        var extra = try e.zeros(x.type)
        if let gm { extra = try e.add(extra, e.div(e.reshape(gm, channelShape), m)) }
        if let gv {
            let centered = try e.sub(x, e.reshape(ctx.outputs[1], channelShape))
            extra = try e.add(extra, e.div(e.mul(e.scale(e.reshape(gv, channelShape), 2), centered), m))
        }
        dx = try dx.map { try e.add($0, extra) } ?? extra
    }
    return [dx, dw, db]
}

/// layer_norm over the last `axes` dimensions; weight and bias (when given) get the
/// cotangent summed over the leading dimensions.
private let layerNormRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return ctx.inputs.map { _ in nil } }
    let e = Emit(ctx), x = ctx.inputs[0], args = ctx.arguments
    let k = try args.positiveInt("axes")
    let axes = Array((x.rank - k)..<x.rank), leading = Array(0..<(x.rank - k))
    let weight = args.optionalTensor("weight")
    let (dx, xhat) = try normalizeBackward(e, x: x, g: g, weight: weight, axes: axes, eps: try args.double("eps"))
    func overLeading(_ t: Tensor) throws -> Tensor { leading.isEmpty ? t : try e.sum(t, axes: leading, keepdims: false) }
    var result: [Tensor?] = [dx]
    if weight != nil { result.append(try overLeading(e.mul(g, xhat))) }
    if args.optionalTensor("bias") != nil { result.append(try overLeading(g)) }
    return result
}

/// softmax: dx = y · (g − Σ g·y); log_softmax: dx = g − e^y · Σ g (sums along the axis).
private func softmaxRule(log: Bool) -> GradientRule {
    { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx), y = ctx.outputs[0]
        let axis = try Shapes.axis(try ctx.arguments.int("axis"), rank: y.rank, op: "softmax")
        if log {
            return [try e.sub(g, e.mul(e.op("exp", [y]), e.sum(g, axes: [axis], keepdims: true)))]
        }
        return [try e.mul(y, e.sub(g, e.sum(e.mul(g, y), axes: [axis], keepdims: true)))]
    }
}

/// Σ of t[c + j] for j in −before...after along the channel axis 1 (zeros outside).
private func channelWindowSum(_ e: Emit, _ t: Tensor, before: Int, after: Int) throws -> Tensor {
    let c = t.shape[1].value!
    let padded = try e.pad(t, axis: 1, before: before, after: after)
    var total: Tensor?
    for j in 0...(before + after) {
        let part = before + after == 0 ? padded : try e.slice(padded, axis: 1, start: j, end: j + c)
        total = try total.map { try e.add($0, part) } ?? part
    }
    return total!
}

/// local_response_norm (PyTorch): y = x · s^(−β), s = k + (α/n) · Σ x² over the channels
/// c − ⌊n/2⌋ … c + ⌊(n−1)/2⌋. dx = g · s^(−β) − (2αβ/n) · x · Σᵀ(g · x · s^(−β−1)), where Σᵀ
/// is the window sum with the window mirrored.
private let lrnRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil] }
    let e = Emit(ctx), x = ctx.inputs[0], args = ctx.arguments
    guard x.shape[1].value != nil else {
        throw DLCError("the gradient of 'local_response_norm' needs a known channel count, found \(x.type)")
    }
    let n = try args.positiveInt("size"), alpha = try args.double("alpha"), beta = try args.double("beta"), k = try args.double("k")
    let s = try e.add(e.c(k, x), e.scale(channelWindowSum(e, e.op("square", [x]), before: n / 2, after: (n - 1) / 2), alpha / Double(n)))
    let sPow = try e.op("pow", [s, e.c(-beta, x)])
    let inner = try e.div(e.mul(e.mul(g, x), sPow), s)
    let spread = try channelWindowSum(e, inner, before: (n - 1) / 2, after: n / 2)
    return [try e.sub(e.mul(g, sPow), e.scale(e.mul(x, spread), 2 * alpha * beta / Double(n)))]
}

let networkGradients: GradientTable = [
    ("convolution", convolutionRule), ("conv_transpose", convTransposeRule),
    ("maxpool2d", poolRule("maxpool2d")), ("avgpool2d", poolRule("avgpool2d")),
    ("global_avgpool", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx), x = ctx.inputs[0]
        return [try e.broadcast(e.divide(g, byCountOf: [x.shape[2], x.shape[3]]), x.shape)]
    }),
    ("batch_norm", batchNormRule), ("batch_norm_training", batchNormTrainingRule), ("layer_norm", layerNormRule),
    ("softmax", softmaxRule(log: false)), ("log_softmax", softmaxRule(log: true)),
    ("local_response_norm", lrnRule),
]
