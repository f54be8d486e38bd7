// Reference kernels of the ops the gradient rules emit (DLCOps/Backward.swift) and of
// dropout_mask: convolution_backward_weight, maxpool2d_backward, avgpool2d_backward,
// scatter_add, gelu_backward. Windows, padding and tie-breaking are those of the forward
// kernels (ConvolutionKernels, PoolingKernels, IndexingKernels, RandomKernels).
import DLCCore
import Foundation

/// Registers the kernels of this file on a table (`ReferenceKernels.standard` should call it).
public func registerBackwardKernels(_ k: ReferenceKernels) {
    // dW[co, ci, i, j] = Σ_{n, oh, ow} g[n, co, oh, ow] · x[n, group(co)·Cin/groups + ci, oh·s − pt + i·d, ow·s − pl + j·d]
    k.register("convolution_backward_weight") { ctx in
        let x = ctx.inputs[0], g = ctx.inputs[1], a = ctx.arguments
        let stride = try intsAttr(a, "stride", count: 2), dilation = try intsAttr(a, "dilation", count: 2)
        let kernel = try intsAttr(a, "kernel", count: 2), groups = try a.int("groups")
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, oh, ow) = (g.shape[1], g.shape[2], g.shape[3])
        let pad = try paddingAmounts(a.value("padding"), size: [h, w], kernel: kernel, stride: stride, dilation: dilation)
        let cinPer = cin / groups, coutPer = cout / groups
        let xv = x.doubles, gv = g.doubles
        var out = Array(repeating: 0.0, count: cout * cinPer * kernel[0] * kernel[1])
        for co in 0..<cout {
            let group = co / coutPer
            for ci in 0..<cinPer {
                for i in 0..<kernel[0] {
                    for j in 0..<kernel[1] {
                        var acc = 0.0
                        for b in 0..<n {
                            let xBase = (b * cin + group * cinPer + ci) * h * w, gBase = (b * cout + co) * oh * ow
                            for y in 0..<oh {
                                let iy = y * stride[0] - pad[0] + i * dilation[0]
                                guard iy >= 0, iy < h else { continue }
                                for xo in 0..<ow {
                                    let ix = xo * stride[1] - pad[2] + j * dilation[1]
                                    guard ix >= 0, ix < w else { continue }
                                    acc += gv[gBase + y * ow + xo] * xv[xBase + iy * w + ix]
                                }
                            }
                        }
                        out[((co * cinPer + ci) * kernel[0] + i) * kernel[1] + j] = acc
                    }
                }
            }
        }
        return [HostTensor.from(out, shape: ctx.outputShapes[0], dtype: ctx.outputTypes[0])]
    }

    // The windows of maxpool2d / avgpool2d (PyTorch's rules, as PoolingKernels): maxpool
    // routes each cotangent to the element the forward pass picked (the first maximum,
    // NaN wins), avgpool spreads it over the window divided by the forward divisor.
    for name in ["maxpool2d", "avgpool2d"] {
        k.register(name + "_backward") { ctx in
            let x = ctx.inputs[0], g = ctx.inputs[1], a = ctx.arguments
            let kernel = try intsAttr(a, "kernel", count: 2)
            let stride: [Int]
            if let v = a.value("stride"), v != .symbol("none") { stride = try intsAttr(a, "stride", count: 2) } else { stride = kernel }
            let pad = try intsAttr(a, "padding", count: 2)
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let oh = g.shape[2], ow = g.shape[3]
            let xv = x.doubles, gv = g.doubles
            var out = Array(repeating: 0.0, count: xv.count)
            for plane in 0..<(n * c) {
                let base = plane * h * w
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let gi = gv[(plane * oh + y) * ow + xo]
                        let win = PoolWindow(y: y, x: xo, kernel: kernel, stride: stride, pad: pad, h: h, w: w)
                        if name == "avgpool2d" {
                            for iy in win.rows { for ix in win.cols { out[base + iy * w + ix] += gi / Double(win.divisor) } }
                        } else {
                            guard let best = win.argmax(xv, base: base, w: w) else {
                                throw kernelError(name + "_backward", "a pooling window lies entirely in the padding")
                            }
                            out[best] += gi
                        }
                    }
                }
            }
            return [HostTensor.from(out, shape: x.shape, dtype: ctx.outputTypes[0])]
        }
    }

    // x with updates added at the indices along axis (negative indices count from the end, as gather).
    k.register("scatter_add") { ctx in
        let x = ctx.inputs[0], indices = ctx.inputs[1].int64s, u = ctx.inputs[2].doubles
        let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: x.rank)
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *), len = x.shape[axis]
        var out = x.doubles, next = 0
        for o in 0..<outer {
            for raw in indices {
                guard raw >= -Int64(len), raw < Int64(len) else {
                    throw kernelError("scatter_add", "index \(raw) is out of range for axis \(axis) of size \(len)")
                }
                let p = Int(raw < 0 ? raw + Int64(len) : raw)
                for j in 0..<inner {
                    out[(o * len + p) * inner + j] += u[next]
                    next += 1
                }
            }
        }
        return [HostTensor.from(out, shape: x.shape, dtype: ctx.outputTypes[0])]
    }

    // grad_out · gelu'(x): Φ(x) + x·φ(x), or the derivative of the tanh form.
    k.register("gelu_backward") { ctx in
        let xv = ctx.inputs[0].doubles, gv = ctx.inputs[1].doubles
        let approximate = try ctx.arguments.bool("approximate")
        let out = zip(xv, gv).map { x, g -> Double in
            if approximate {
                let c = (2 / Double.pi).squareRoot(), u = c * (x + 0.044715 * x * x * x), t = tanh(u)
                return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x))
            }
            let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot())), pdf = exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            return g * (cdf + x * pdf)
        }
        return [HostTensor.from(out, shape: ctx.inputs[0].shape, dtype: ctx.outputTypes[0])]
    }

    // Training: 1/(1 − rate) where a draw u ≥ rate (the element is kept), else 0 — the same
    // draws as the dropout kernel. Inference: ones.
    k.register("dropout_mask") { ctx in
        let x = ctx.inputs[0], rate = try ctx.arguments.double("rate")
        guard ctx.training, rate > 0 else {
            return [HostTensor.from(Array(repeating: 1, count: x.count), shape: x.shape, dtype: ctx.outputTypes[0])]
        }
        var rng = ctx.rng
        let scale = 1 / (1 - rate)
        let v = (0..<x.count).map { _ in rng.nextDouble() >= rate ? scale : 0 }
        return [HostTensor.from(v, shape: x.shape, dtype: ctx.outputTypes[0])]
    }
}
