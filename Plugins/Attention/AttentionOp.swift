// The fused attention op of the plugin: `attention(q, k, v, mask, heads, causal, scale)`
// computes softmax(scale·q·kᵀ + mask)·v for every head in one kernel, and
// `attention_backward` its vector-Jacobian product (dq, dk, dv) in another. Heads are
// column blocks of the last axis ([..., T, heads·D], the layout of the projections), so
// the multi-head layer needs no reshape or transpose around it.
import DLCCore

/// The score shape [batch..., heads, Tq, Tk] (without the heads axis when heads is 1).
func attentionScoreShape(batch: [Dim], heads: Int, queries: Dim, keys: Dim) -> [Dim] {
    batch + (heads > 1 ? [.known(heads)] : []) + [queries, keys]
}

let attentionOp = OpSpec("attention", family: .attention, signature: Signature([
    ArgSpec("q", .tensor, doc: "[..., Tq, heads·D]"), ArgSpec("k", .tensor, doc: "[..., Tk, heads·D]"),
    ArgSpec("v", .tensor, doc: "[..., Tk, heads·Dv]"),
    ArgSpec("mask", .optionalTensor, doc: "additive, of q's type, broadcasting to the scores [..., heads, Tq, Tk] ([..., Tq, Tk] for one head)"),
    ArgSpec("heads", .int, default: .int(1)), ArgSpec("causal", .bool, default: .bool(false), doc: "key j hidden from query i when j > i"),
    ArgSpec("scale", .float, default: .float(0), doc: "the factor of q·kᵀ; 0 means 1/√D"),
]), summary: "Fused multi-head attention: softmax(scale·q·kᵀ + mask)·v per head; results: the output [..., Tq, heads·Dv] and the attention probabilities",
    flops: { args, outs in attentionFlops(args, outs, backward: false) }, infer: attentionShape)

let attentionBackwardOp = OpSpec("attention_backward", family: .attention, signature: Signature([
    ArgSpec("q", .tensor), ArgSpec("k", .tensor), ArgSpec("v", .tensor),
    ArgSpec("probs", .tensor, doc: "the forward op's second result"), ArgSpec("d_out", .tensor, doc: "the cotangent of the output"),
    ArgSpec("d_probs", .optionalTensor, doc: "the cotangent of probs, if any"),
    ArgSpec("heads", .int, default: .int(1)), ArgSpec("scale", .float, default: .float(0)),
]), summary: "The gradient of 'attention': dq, dk, dv from the saved probabilities and the output's cotangent",
    differentiable: false, flops: { args, outs in attentionFlops(args, outs, backward: true) }, infer: attentionBackwardShape)

/// The checked sizes of an attention call.
struct AttentionDims {
    let batch: [Dim], queries: Dim, keys: Dim, heads: Int, width: Int, valueWidth: Int
    var scores: [Dim] { attentionScoreShape(batch: batch, heads: heads, queries: queries, keys: keys) }
}

/// Checks q, k, v and heads (operands 0, 1, 2) for `op`.
func attentionDims(_ args: Arguments, op: String) throws -> AttentionDims {
    let q = try args.tensor("q"), k = try args.tensor("k"), v = try args.tensor("v")
    for (i, t) in [q, k, v].enumerated() {
        guard t.dtype.isFloat, t.rank >= 2, t.shape.last?.value != nil else {
            throw DLCError("'\(op)' needs floating-point tensors [..., T, features] with known features, found \(t.type) as \(["q", "k", "v"][i])",
                           operands: [i])
        }
        guard t.dtype == q.dtype else {
            throw DLCError("'\(op)': q, k and v must have one element type, found \(q.type) and \(t.type)", operands: [0, i])
        }
    }
    guard k.rank == q.rank, v.rank == q.rank, Array(k.shape.dropLast(2)) == Array(q.shape.dropLast(2)),
          Array(v.shape.dropLast(2)) == Array(q.shape.dropLast(2)) else {
        throw DLCError("'\(op)': q, k and v must have the same leading (batch) dimensions, found \(q.type), \(k.type) and \(v.type)",
                       operands: [0, 1, 2])
    }
    guard k.shape[k.rank - 2] == v.shape[v.rank - 2] else {
        throw DLCError("'\(op)': k and v must have the same number of keys, found \(k.type) and \(v.type)", operands: [1, 2])
    }
    let heads = try args.positiveInt("heads")
    let e = q.shape.last!.value!, ev = v.shape.last!.value!
    guard k.shape.last!.value == e else {
        throw DLCError("'\(op)': q and k must have the same number of features, found \(q.type) and \(k.type)", operands: [0, 1])
    }
    guard e % heads == 0, ev % heads == 0 else {
        throw DLCError("'\(op)': the features of q (\(e)) and v (\(ev)) must be divisible by \(heads) heads", argument: "heads")
    }
    if try args.double("scale") < 0 {
        throw DLCError("'\(op)': scale must be positive (or 0 for 1/√D), found \(try args.double("scale"))", argument: "scale")
    }
    return AttentionDims(batch: Array(q.shape.dropLast(2)), queries: q.shape[q.rank - 2], keys: k.shape[k.rank - 2],
                         heads: heads, width: e, valueWidth: ev)
}

/// [output [..., Tq, heads·Dv], probs [..., heads, Tq, Tk]].
func attentionShape(_ args: Arguments) throws -> [TensorType] {
    let d = try attentionDims(args, op: "attention")
    let q = try args.tensor("q")
    if let m = args.optionalTensor("mask") {
        guard m.dtype == q.dtype else {
            throw DLCError("'attention' needs an additive mask of \(q.dtype), found \(m.type) (turn a bool mask into 0 and -1e9 with where)",
                           operands: [3])
        }
        let scores = d.scores
        let fits = m.rank <= scores.count && zip(m.shape.reversed(), scores.reversed()).allSatisfy { $0 == $1 || $0 == .known(1) }
        guard fits else {
            throw DLCError("'attention': the mask \(m.type) does not broadcast to the scores \(TensorType(q.dtype, scores))", operands: [3])
        }
    }
    return [TensorType(q.dtype, d.batch + [d.queries, .known(d.valueWidth)]), TensorType(q.dtype, d.scores)]
}

/// [dq, dk, dv], typed as q, k, v.
func attentionBackwardShape(_ args: Arguments) throws -> [TensorType] {
    let d = try attentionDims(args, op: "attention_backward")
    let q = try args.tensor("q"), k = try args.tensor("k"), v = try args.tensor("v")
    let probs = try args.tensor("probs"), dOut = try args.tensor("d_out")
    let scores = TensorType(q.dtype, d.scores)
    guard probs.type == scores else {
        throw DLCError("'attention_backward': probs must be \(scores), found \(probs.type)", operands: [3])
    }
    let out = TensorType(q.dtype, d.batch + [d.queries, .known(d.valueWidth)])
    guard dOut.type == out else {
        throw DLCError("'attention_backward': d_out must be \(out), found \(dOut.type)", operands: [4])
    }
    if let dp = args.optionalTensor("d_probs"), dp.type != scores {
        throw DLCError("'attention_backward': d_probs must be \(scores), found \(dp.type)", operands: [5])
    }
    return [q.type, k.type, v.type]
}

/// Multiply-adds ×2 of the products (2 forward, 4 backward) plus the softmax pass.
private func attentionFlops(_ args: Arguments, _ outs: [TensorType], backward: Bool) -> Int {
    guard let d = try? attentionDims(args, op: backward ? "attention_backward" : "attention"),
          let pairs = Shapes.knownProduct(d.scores) else { return 0 }
    let perPair = 2 * (d.width + d.valueWidth) / d.heads
    return pairs * (backward ? 2 * perPair + 4 : perPair + 5)
}

/// The gradient of `attention`: dq, dk, dv from `attention_backward` (which reads the saved
/// probabilities), and for a mask the cotangent of the scores, reduced to the mask's shape
/// (emitted as plain ops: it is removed again when nothing needs it, e.g. a constant mask).
func attentionGradient(_ ctx: GradientContext) throws -> [Tensor?] {
    let b = ctx.builder
    guard ctx.cotangents.contains(where: { $0 != nil }) else { return Array(repeating: nil, count: ctx.inputs.count) }
    let q = try ctx.arguments.tensor("q"), k = try ctx.arguments.tensor("k"), v = try ctx.arguments.tensor("v")
    let out = ctx.outputs[0], probs = ctx.outputs[1]
    let dOut = try ctx.cotangents[0] ?? zeros(b, out.type)
    let heads = try ctx.arguments.int("heads"), scale = try ctx.arguments.double("scale")
    var operands = [q, k, v, probs, dOut]
    if let dp = ctx.cotangents[1] { operands.append(dp) }
    let grads = try b.op("attention_backward", operands, ["heads": .int(heads), "scale": .float(scale)])
    var result: [Tensor?] = [grads[0], grads[1], grads[2]]
    if let mask = ctx.arguments.optionalTensor("mask") {
        result.append(try maskGradient(b, mask: mask, v: v, probs: probs, dOut: dOut, dProbs: ctx.cotangents[1], heads: heads))
    }
    return result
}

/// dS = P ⊙ (dP − Σⱼ P ⊙ dP) with dP = dO·Vᵀ per head (+ the cotangent of P), summed over
/// the axes along which the mask was broadcast.
private func maskGradient(_ b: GraphBuilder, mask: Tensor, v: Tensor, probs: Tensor, dOut: Tensor, dProbs: Tensor?,
                          heads: Int) throws -> Tensor {
    let batch = Array(v.shape.dropLast(2))
    func headsFirst(_ x: Tensor) throws -> Tensor {
        guard heads > 1 else { return x }
        let t = x.shape[x.rank - 2], perHead = x.shape.last!.value! / heads
        let split = try b.op1("reshape", [x], ["shape": shapeValue(batch + [t, .known(heads), .known(perHead)])])
        let r = batch.count
        let perm = Array(0..<r) + [r + 1, r, r + 2]
        return try b.op1("transpose", [split], ["perm": .list(perm.map { .int($0) })])
    }
    var dp = try b.op1("matmul", [try headsFirst(dOut), try headsFirst(v)], ["transpose_b": .bool(true)])
    if let dProbs { dp = try b.op1("add", [dp, dProbs]) }
    let dot = try b.op1("sum", [try b.op1("mul", [probs, dp])], ["axes": .list([.int(-1)]), "keepdims": .bool(true)])
    let ds = try b.op1("mul", [probs, try b.op1("sub", [dp, dot])])
    // Reduce to the mask's shape: leading axes it lacks, and its broadcast axes of size 1.
    let offset = ds.rank - mask.rank
    var axes = Array(0..<offset)
    for i in 0..<mask.rank where mask.shape[i] == .known(1) && ds.shape[offset + i] != .known(1) { axes.append(offset + i) }
    let summed = axes.isEmpty ? ds : try b.op1("sum", [ds], ["axes": .list(axes.map { .int($0) }), "keepdims": .bool(true)])
    return summed.shape == mask.shape ? summed : try b.op1("reshape", [summed], ["shape": shapeValue(mask.shape)])
}

private func zeros(_ b: GraphBuilder, _ t: TensorType) throws -> Tensor {
    try b.op1("broadcast_to", [b.constant(0, dtype: t.dtype)], ["shape": shapeValue(t.shape)])
}

/// A shape as a static value (sizes and symbols).
func shapeValue(_ d: [Dim]) -> StaticValue {
    .list(d.map { dim -> StaticValue in
        switch dim {
        case .known(let v): return .int(v)
        case .symbol(let s): return .symbol(s)
        }
    })
}
