import DLCCore

/// The update rules of the optimizers, emitted as IR, one parameter at a time. Each rule
/// reads the parameter, its gradient, the learning rate of this step (a graph input, so
/// that schedules run on the host) and the step count `t` (≥ 1), and returns the new value
/// of the parameter and of each optimizer state it keeps. State is created as
/// non-trainable parameters named `optimizer.<state>.<param>` (zeros).
///
/// The formulas are PyTorch's (torch.optim, default arguments, no dampening):
/// - SGD: g ← g + λp; with momentum b ← μb + g, and g ← b (or g + μb with Nesterov); p ← p − ηg
/// - AdaGrad: g ← g + λp; s ← s + g²; p ← p − ηg / (√s + ε)
/// - RMSProp: g ← g + λp; s ← αs + (1−α)g²; with momentum b ← μb + g/(√s + ε), p ← p − ηb;
///   else p ← p − ηg/(√s + ε)
/// - Adam: g ← g + λp; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
///   p ← p − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
/// - AdamW: as Adam without the λp term, and p ← p·(1 − ηλ) first (decoupled decay)
struct OptimizerUpdate {
    let b: GraphBuilder
    let config: OptimizerConfig
    let lr: Tensor
    let step: Tensor

    /// New values: the parameter's (named as the parameter) and its state's.
    func update(param p: Tensor, named name: String, grad g0: Tensor) throws -> [(String, Tensor)] {
        let c = config
        var out: [(String, Tensor)] = []
        func state(_ kind: String) throws -> (String, Tensor) {
            let stateName = "optimizer.\(kind).\(name)"
            let t = try b.rootParam(stateName, shape: p.shape, dtype: p.dtype, initializer: .zeros, trainable: false)
            return (stateName, t)
        }
        func k(_ v: Double) -> Tensor { b.constant(v, dtype: p.dtype) }
        func op(_ n: String, _ xs: Tensor...) throws -> Tensor { try b.op1(n, xs) }

        var g = g0
        if c.weightDecay != 0 && c.kind != .adamw { g = try op("add", g, try op("mul", p, k(c.weightDecay))) }
        var newP: Tensor
        switch c.kind {
        case .sgd:
            if c.momentum != 0 {
                let (bn, buf) = try state("momentum")
                let nb = try op("add", try op("mul", buf, k(c.momentum)), g)
                out.append((bn, nb))
                g = c.nesterov ? try op("add", g, try op("mul", nb, k(c.momentum))) : nb
            }
            newP = try op("sub", p, try op("mul", g, lr))
        case .adagrad:
            let (sn, s) = try state("sum")
            let ns = try op("add", s, try op("square", g))
            out.append((sn, ns))
            newP = try op("sub", p, try op("div", try op("mul", g, lr), try op("add", try op("sqrt", ns), k(c.eps))))
        case .rmsprop:
            let (sn, s) = try state("square_avg")
            let ns = try op("add", try op("mul", s, k(c.alpha)), try op("mul", try op("square", g), k(1 - c.alpha)))
            out.append((sn, ns))
            let scaled = try op("div", g, try op("add", try op("sqrt", ns), k(c.eps)))
            if c.momentum != 0 {
                let (bn, buf) = try state("momentum")
                let nb = try op("add", try op("mul", buf, k(c.momentum)), scaled)
                out.append((bn, nb))
                newP = try op("sub", p, try op("mul", nb, lr))
            } else {
                newP = try op("sub", p, try op("mul", scaled, lr))
            }
        case .adam, .adamw:
            var base = p
            if c.kind == .adamw && c.weightDecay != 0 {
                base = try op("mul", p, try op("sub", k(1), try op("mul", lr, k(c.weightDecay))))
            }
            let (mn, m) = try state("exp_avg"), (vn, v) = try state("exp_avg_sq")
            let nm = try op("add", try op("mul", m, k(c.beta1)), try op("mul", g, k(1 - c.beta1)))
            let nv = try op("add", try op("mul", v, k(c.beta2)), try op("mul", try op("square", g), k(1 - c.beta2)))
            out += [(mn, nm), (vn, nv)]
            let bc1 = try op("sub", k(1), try op("pow", k(c.beta1), step))
            let bc2 = try op("sub", k(1), try op("pow", k(c.beta2), step))
            let denom = try op("add", try op("sqrt", try op("div", nv, bc2)), k(c.eps))
            newP = try op("sub", base, try op("mul", try op("div", try op("div", nm, bc1), denom), lr))
        }
        return [(name, newP)] + out
    }
}

extension GraphBuilder {
    /// A parameter named exactly `name`, whatever the current scope (state of the training
    /// step is named from the root: `train.step`, `optimizer.exp_avg.fc1.weight`).
    func rootParam(_ name: String, shape: [Dim], dtype: DType, initializer: Initializer, trainable: Bool) throws -> Tensor {
        let saved = scope
        scope = ""
        defer { scope = saved }
        return try param(name, shape: shape, dtype: dtype, initializer: initializer, trainable: trainable)
    }
}
