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
                        let win = PoolWindow(y: y, x: xo, kernel: kernel, stride: stride, pad: pad, h: h, w: w)
                        if name == "avgpool2d" {
                            var acc = 0.0
                            for iy in win.rows { for ix in win.cols { acc += xv[base + iy * w + ix] } }
                            out[o] = acc / Double(win.divisor)
                        } else {
                            guard let best = win.argmax(xv, base: base, w: w) else {
                                throw kernelError(name, "a pooling window lies entirely in the padding")
                            }
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

/// One output position's pooling window over an input plane: the rows and columns it covers
/// once clipped to the input, and the divisor of an average (PyTorch's: padding counts,
/// overhang past the padded edge in ceil mode does not). Shared by pooling and its backward
/// ops, so both pick the same elements.
struct PoolWindow {
    let rows: Range<Int>
    let cols: Range<Int>
    let divisor: Int

    init(y: Int, x: Int, kernel: [Int], stride: [Int], pad: [Int], h: Int, w: Int) {
        let y0 = y * stride[0] - pad[0], x0 = x * stride[1] - pad[1]
        let y1 = min(y0 + kernel[0], h + pad[0]), x1 = min(x0 + kernel[1], w + pad[1])
        divisor = (y1 - y0) * (x1 - x0)
        let r0 = max(y0, 0), c0 = max(x0, 0)
        rows = r0..<max(r0, min(y1, h))
        cols = c0..<max(c0, min(x1, w))
    }

    /// The flat index of the window's maximum in `values` (plane at `base`, row width `w`):
    /// the first NaN if any, else the first maximum in row-major order; nil for a window
    /// lying entirely in the padding.
    func argmax(_ values: [Double], base: Int, w: Int) -> Int? {
        var best: Int?
        for iy in rows {
            for ix in cols {
                let i = base + iy * w + ix
                guard let b = best else { best = i; continue }
                if values[b].isNaN { continue }
                if values[i].isNaN || values[i] > values[b] { best = i }
            }
        }
        return best
    }
}
