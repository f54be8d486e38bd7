// `convolution` (cross-correlation) and `conv_transpose` of NCHW tensors, with stride,
// padding (int, [h, w], [top, bottom, left, right], same, valid), dilation and groups.
import DLCCore

/// Padding amounts [top, bottom, left, right] of a window op. `same` pads to an output of
/// ceil(size / stride), the odd pixel at the bottom/right (TensorFlow's rule, as the shape rule).
func paddingAmounts(_ v: StaticValue?, size: [Int], kernel: [Int], stride: [Int], dilation: [Int]) throws -> [Int] {
    let v = v ?? .int(0)
    if let s = v.stringValue {
        if s == "valid" { return [0, 0, 0, 0] }
        guard s == "same" else { throw DLCError("bad padding \(v)") }
        var out: [Int] = []
        for i in 0..<2 {
            let o = (size[i] + stride[i] - 1) / stride[i]
            let extent = dilation[i] * (kernel[i] - 1) + 1
            let total = max((o - 1) * stride[i] + extent - size[i], 0)
            out += [total / 2, total - total / 2]
        }
        return out
    }
    if let i = v.intValue { return [i, i, i, i] }
    if let l = v.listValue?.compactMap(\.intValue) {
        if l.count == 2 { return [l[0], l[0], l[1], l[1]] }
        if l.count == 4 { return l }
    }
    throw DLCError("bad padding \(v)")
}

private struct ConvGeometry {
    let n, cin, h, w, cout, kh, kw, groups: Int
    let stride, dilation, pad: [Int]
}

func registerConvolutionKernels(_ k: ReferenceKernels) {
    k.register("convolution") { ctx in
        let x = ctx.inputs[0], wt = ctx.inputs[1], bias = ctx.inputs.count > 2 ? ctx.inputs[2].doubles : nil
        let a = ctx.arguments
        let stride = try intsAttr(a, "stride", count: 2), dilation = try intsAttr(a, "dilation", count: 2)
        let groups = try a.int("groups")
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, cpg, kh, kw) = (wt.shape[0], wt.shape[1], wt.shape[2], wt.shape[3])
        let pad = try paddingAmounts(a.value("padding"), size: [h, w], kernel: [kh, kw], stride: stride, dilation: dilation)
        let shape = ctx.outputShapes[0], oh = shape[2], ow = shape[3]
        let xv = x.doubles, wv = wt.doubles
        let coutPerGroup = cout / groups
        var out = Array(repeating: 0.0, count: n * cout * oh * ow)
        for b in 0..<n {
            for co in 0..<cout {
                let g = co / coutPerGroup
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var acc = bias?[co] ?? 0
                        for ci in 0..<cpg {
                            let c = g * cpg + ci
                            for i in 0..<kh {
                                let iy = y * stride[0] - pad[0] + i * dilation[0]
                                guard iy >= 0, iy < h else { continue }
                                for j in 0..<kw {
                                    let ix = xo * stride[1] - pad[2] + j * dilation[1]
                                    guard ix >= 0, ix < w else { continue }
                                    acc += xv[((b * cin + c) * h + iy) * w + ix] * wv[((co * cpg + ci) * kh + i) * kw + j]
                                }
                            }
                        }
                        out[((b * cout + co) * oh + y) * ow + xo] = acc
                    }
                }
            }
        }
        return [HostTensor.from(out, shape: shape, dtype: ctx.outputTypes[0])]
    }
    k.register("conv_transpose") { ctx in
        // The adjoint of convolution: each input pixel scatters its weighted kernel into the output.
        let x = ctx.inputs[0], wt = ctx.inputs[1], bias = ctx.inputs.count > 2 ? ctx.inputs[2].doubles : nil
        let a = ctx.arguments
        let stride = try intsAttr(a, "stride", count: 2), dilation = try intsAttr(a, "dilation", count: 2)
        let groups = try a.int("groups")
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (coutPerGroup, kh, kw) = (wt.shape[1], wt.shape[2], wt.shape[3])
        let pad = try paddingAmounts(a.value("padding"), size: [h, w], kernel: [kh, kw], stride: stride, dilation: dilation)
        let shape = ctx.outputShapes[0], cout = shape[1], oh = shape[2], ow = shape[3]
        let cinPerGroup = cin / groups
        let xv = x.doubles, wv = wt.doubles
        var out = Array(repeating: 0.0, count: n * cout * oh * ow)
        for b in 0..<n {
            for ci in 0..<cin {
                let g = ci / cinPerGroup
                for iy in 0..<h {
                    for ix in 0..<w {
                        let v = xv[((b * cin + ci) * h + iy) * w + ix]
                        for co in 0..<coutPerGroup {
                            let c = g * coutPerGroup + co
                            for i in 0..<kh {
                                let y = iy * stride[0] - pad[0] + i * dilation[0]
                                guard y >= 0, y < oh else { continue }
                                for j in 0..<kw {
                                    let xo = ix * stride[1] - pad[2] + j * dilation[1]
                                    guard xo >= 0, xo < ow else { continue }
                                    out[((b * cout + c) * oh + y) * ow + xo] += v * wv[((ci * coutPerGroup + co) * kh + i) * kw + j]
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            for i in 0..<out.count { out[i] += bias[(i / (oh * ow)) % cout] }
        }
        return [HostTensor.from(out, shape: shape, dtype: ctx.outputTypes[0])]
    }
}
