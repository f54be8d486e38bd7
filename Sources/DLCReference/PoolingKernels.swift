// Pooling of NCHW tensors with PyTorch's rules: maxpool2d (padding is -inf, NaN propagates),
// avgpool2d (count_include_pad = True: the divisor counts padded zeros but not the part of a
// ceil-mode window beyond the padding), global_avgpool.
import DLCCore

func registerPoolingKernels(_ k: ReferenceKernels) {
    for name in ["maxpool2d", "avgpool2d"] {
        k.register(name) { ctx in
            let x = ctx.inputs[0], a = ctx.arguments
            let kernel = try intsAttr(a, "kernel", count: 2)
            let stride: [Int]
            if let v = a.value("stride"), v != .symbol("none") { stride = try intsAttr(a, "stride", count: 2) } else { stride = kernel }
            let pad = try intsAttr(a, "padding", count: 2)
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let shape = ctx.outputShapes[0], oh = shape[2], ow = shape[3]
            let xv = x.doubles
            var out = Array(repeating: 0.0, count: n * c * oh * ow)
            var picks = Array(repeating: 0, count: out.count)   // maxpool: index of the maximum
            for plane in 0..<(n * c) {
                let base = plane * h * w
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let o = (plane * oh + y) * ow + xo
                        var y0 = y * stride[0] - pad[0], x0 = xo * stride[1] - pad[1]
                        var y1 = min(y0 + kernel[0], h + pad[0]), x1 = min(x0 + kernel[1], w + pad[1])
                        let poolSize = (y1 - y0) * (x1 - x0)
                        y0 = max(y0, 0); x0 = max(x0, 0); y1 = min(y1, h); x1 = min(x1, w)
                        if name == "avgpool2d" {
                            var acc = 0.0
                            for iy in y0..<max(y0, y1) { for ix in x0..<max(x0, x1) { acc += xv[base + iy * w + ix] } }
                            out[o] = acc / Double(poolSize)
                        } else {
                            var best = -1
                            for iy in y0..<max(y0, y1) {
                                for ix in x0..<max(x0, x1) {
                                    let i = base + iy * w + ix
                                    if best < 0 { best = i; continue }
                                    if xv[best].isNaN { continue }
                                    if xv[i].isNaN || xv[i] > xv[best] { best = i }
                                }
                            }
                            guard best >= 0 else { throw kernelError(name, "a pooling window lies entirely in the padding") }
                            picks[o] = best
                        }
                    }
                }
            }
            if name == "maxpool2d" { return [x.take(picks, shape: shape)] }
            return [HostTensor.from(out, shape: shape, dtype: ctx.outputTypes[0])]
        }
    }
    k.register("global_avgpool") { ctx in
        let x = ctx.inputs[0], hw = x.shape[2] * x.shape[3]
        let v = x.doubles
        let out = (0..<(x.shape[0] * x.shape[1])).map { p in v[(p * hw)..<((p + 1) * hw)].reduce(0, +) / Double(hw) }
        return [HostTensor.from(out, shape: ctx.outputShapes[0], dtype: ctx.outputTypes[0])]
    }
}
