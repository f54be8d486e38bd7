// Losses (mean reduction, PyTorch semantics) and weight penalties; each returns a scalar.
import DLCCore
import Foundation

/// Mean of `f(a_i, b_i)` over the elements of two same-shaped operands.
private func meanOf(_ ctx: ReferenceKernelContext, _ f: (Double, Double) -> Double) -> HostTensor {
    let a = ctx.inputs[0].doubles, b = ctx.inputs[1].doubles
    let total = zip(a, b).reduce(0.0) { $0 + f($1.0, $1.1) }
    return HostTensor.from([total / Double(a.count)], shape: [], dtype: ctx.outputTypes[0])
}

/// t · log t with 0 · log 0 = 0 (torch.xlogy(t, t)).
private func xlogx(_ t: Double) -> Double { t == 0 ? 0 : t * log(t) }

func registerLossKernels(_ k: ReferenceKernels) {
    k.register("mse") { ctx in [meanOf(ctx) { ($0 - $1) * ($0 - $1) }] }
    k.register("mae") { ctx in [meanOf(ctx) { abs($0 - $1) }] }
    // PyTorch clamps each log at -100.
    k.register("binary_cross_entropy") { ctx in
        [meanOf(ctx) { p, t in -(t * max(log(p), -100) + (1 - t) * max(log(1 - p), -100)) }]
    }
    k.register("bce_with_logits") { ctx in [meanOf(ctx) { x, t in max(x, 0) - x * t + log1p(exp(-abs(x))) }] }
    k.register("kl_div") { ctx in [meanOf(ctx) { lp, t in xlogx(t) - t * lp }] }
    k.register("gaussian_kl") { ctx in
        // -1/2 Σ (1 + logvar - mu² - e^logvar), summed over features, mean over dim 0.
        let mu = ctx.inputs[0].doubles, lv = ctx.inputs[1].doubles
        let total = zip(mu, lv).reduce(0.0) { $0 - 0.5 * (1 + $1.1 - $1.0 * $1.0 - exp($1.1)) }
        let n = ctx.inputs[0].shape[0]
        return [HostTensor.from([total / Double(n)], shape: [], dtype: ctx.outputTypes[0])]
    }
    k.register("cross_entropy") { ctx in
        let logits = ctx.inputs[0], labels = ctx.inputs[1], v = logits.doubles
        let n = logits.shape[0], c = logits.shape[1]
        var total = 0.0
        let probabilities = labels.dtype.isFloat
        let pv = probabilities ? labels.doubles : [], iv = probabilities ? [] : labels.int64s
        for r in 0..<n {
            let row = v[(r * c)..<((r + 1) * c)]
            let m = row.max() ?? 0, shift = m.isFinite ? m : 0
            let lse = shift + log(row.reduce(0.0) { $0 + exp($1 - shift) })
            if probabilities {
                for j in 0..<c { total -= pv[r * c + j] * (v[r * c + j] - lse) }
            } else {
                let label = iv[r]
                guard label >= 0, label < Int64(c) else {
                    throw kernelError("cross_entropy", "label \(label) of row \(r) is out of range for \(c) classes")
                }
                total += lse - v[r * c + Int(label)]
            }
        }
        return [HostTensor.from([total / Double(n)], shape: [], dtype: ctx.outputTypes[0])]
    }
    k.register("nll_loss") { ctx in
        let lp = ctx.inputs[0].doubles, labels = ctx.inputs[1].int64s
        let n = ctx.inputs[0].shape[0], c = ctx.inputs[0].shape[1]
        var total = 0.0
        for r in 0..<n {
            guard labels[r] >= 0, labels[r] < Int64(c) else {
                throw kernelError("nll_loss", "label \(labels[r]) of row \(r) is out of range for \(c) classes")
            }
            total -= lp[r * c + Int(labels[r])]
        }
        return [HostTensor.from([n > 0 ? total / Double(n) : 0], shape: [], dtype: ctx.outputTypes[0])]
    }
    k.register("l1_penalty") { ctx in
        [HostTensor.from([ctx.inputs[0].doubles.reduce(0) { $0 + abs($1) }], shape: [], dtype: ctx.outputTypes[0])]
    }
    k.register("l2_penalty") { ctx in
        [HostTensor.from([ctx.inputs[0].doubles.reduce(0) { $0 + $1 * $1 }], shape: [], dtype: ctx.outputTypes[0])]
    }
}
