// Gradient rules of the losses and penalties, in primitives. Mean reductions divide by the
// element count (a run-time count when dimensions are symbolic).
import DLCCore

/// A rule for a loss over two same-shaped operands: `body(e, a, b, s)` gets s = g / count
/// (count: elements of a, or the batch for gaussian_kl) and returns both cotangents.
private func pairLoss(batchOnly: Bool = false,
                      _ body: @escaping (Emit, Tensor, Tensor, Tensor) throws -> (Tensor?, Tensor?)) -> GradientRule {
    { ctx in
        guard let g = ctx.cotangents[0] else { return [nil, nil] }
        let e = Emit(ctx), a = ctx.inputs[0], b = ctx.inputs[1]
        let s = try e.divide(g, byCountOf: batchOnly ? [a.shape[0]] : a.shape)
        let (ga, gb) = try body(e, a, b, s)
        return [ga, gb]
    }
}

/// cross_entropy = mean over rows of logsumexp(z) − Σ p·z. With class indices p is one-hot
/// (a label out of range contributes no target); with probabilities their sum per row is
/// not assumed to be 1: dz = (softmax(z)·Σp − p)·g/N, dp = −log_softmax(z)·g/N.
private let crossEntropyRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil, nil] }
    let e = Emit(ctx), z = ctx.inputs[0], labels = ctx.inputs[1]
    let s = try e.divide(g, byCountOf: [z.shape[0]])
    let softmax = try e.op("softmax", [z], ["axis": .int(1)])
    if labels.dtype.isInteger {
        guard let depth = z.shape[1].value else {
            throw DLCError("the gradient of 'cross_entropy' with class indices needs a known class count, found \(z.type)")
        }
        var target = try e.op("one_hot", [labels], ["depth": .int(depth)])
        if target.dtype != z.dtype { target = try e.op("cast", [target], ["dtype": .dtype(z.dtype)]) }
        return [try e.mul(e.sub(softmax, target), s), nil]
    }
    let mass = try e.sum(labels, axes: [1], keepdims: true)
    let dz = try e.mul(e.sub(e.mul(softmax, mass), labels), s)
    let dp = try e.neg(e.mul(e.op("log_softmax", [z], ["axis": .int(1)]), s))
    return [dz, dp]
}

/// nll_loss = −mean over rows of lp[r, label_r]: d lp = −one_hot(labels)·g/N.
private let nllLossRule: GradientRule = { ctx in
    guard let g = ctx.cotangents[0] else { return [nil, nil] }
    let e = Emit(ctx), lp = ctx.inputs[0], labels = ctx.inputs[1]
    guard let depth = lp.shape[1].value else {
        throw DLCError("the gradient of 'nll_loss' needs a known class count, found \(lp.type)")
    }
    let s = try e.divide(g, byCountOf: [lp.shape[0]])
    var target = try e.op("one_hot", [labels], ["depth": .int(depth)])
    if target.dtype != lp.dtype { target = try e.op("cast", [target], ["dtype": .dtype(lp.dtype)]) }
    return [try e.neg(e.mul(target, s)), nil]
}

let lossGradients: GradientTable = [
    // mean((p − t)²)
    ("mse", pairLoss { e, p, t, s in
        let dp = try e.mul(e.scale(e.sub(p, t), 2), s)
        return (dp, try e.neg(dp))
    }),
    // mean|p − t|
    ("mae", pairLoss { e, p, t, s in
        let dp = try e.mul(e.op("sign", [e.sub(p, t)]), s)
        return (dp, try e.neg(dp))
    }),
    // −mean(t·ln p + (1 − t)·ln(1 − p)): dp = (p − t)/(p(1 − p)), dt = ln(1 − p) − ln p.
    ("binary_cross_entropy", pairLoss { e, p, t, s in
        let q = try e.sub(e.c(1, p), p)
        let dp = try e.mul(e.div(e.sub(p, t), e.mul(p, q)), s)
        let dt = try e.mul(e.sub(e.op("log", [q]), e.op("log", [p])), s)
        return (dp, dt)
    }),
    // mean(max(z, 0) − z·t + ln(1 + e^−|z|)): dz = σ(z) − t, dt = −z.
    ("bce_with_logits", pairLoss { e, z, t, s in
        (try e.mul(e.sub(e.op("sigmoid", [z]), t), s), try e.neg(e.mul(z, s)))
    }),
    // mean(t·(ln t − lp)) with 0·ln 0 = 0: dlp = −t, dt = ln t + 1 − lp where t > 0, −lp elsewhere.
    ("kl_div", pairLoss { e, lp, t, s in
        let positive = try e.op("greater", [t, e.c(0, t)])
        let logT = try e.op("log", [e.select(positive, t, e.c(1, t))])
        let entropyTerm = try e.select(positive, e.add(logT, e.c(1, t)), e.c(0, t))
        return (try e.neg(e.mul(t, s)), try e.mul(e.sub(entropyTerm, lp), s))
    }),
    // −½·Σ(1 + lv − mu² − e^lv) / N: dmu = mu/N, dlv = ½(e^lv − 1)/N.
    ("gaussian_kl", pairLoss(batchOnly: true) { e, mu, lv, s in
        (try e.mul(mu, s), try e.mul(e.scale(e.sub(e.op("exp", [lv]), e.c(1, lv)), 0.5), s))
    }),
    ("cross_entropy", crossEntropyRule),
    ("nll_loss", nllLossRule),
    ("l1_penalty", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx)
        return [try e.mul(e.op("sign", [ctx.inputs[0]]), g)]
    }),
    ("l2_penalty", { ctx in
        guard let g = ctx.cotangents[0] else { return [nil] }
        let e = Emit(ctx)
        return [try e.mul(e.scale(ctx.inputs[0], 2), g)]
    }),
]
