// The `attention` plugin: scaled dot-product attention, multi-head attention (self and
// cross), position and token embeddings, and transformer encoder and decoder layers, laid
// out and named as PyTorch's (`self_attn.in_proj_weight`, `linear1.weight`, `norm1.bias`)
// so that weights map one to one. Attention itself is the plugin's fused op `attention`
// (AttentionOp.swift: shape rule and gradient; AttentionKernels.swift and Kernels/: its
// kernels), heads being column blocks of the projections, so no reshape or transpose is
// needed; the rest expands into existing ops (matmul, layer_norm, ...) and the plugin's
// `attention_arange` (0, 1, ..., n-1), from which the sinusoidal table is built.
// Written against the public plugin API of DLCCore only.
import DLCCore
import Foundation

/// `use attention` in a `.dlg` file makes these layers visible.
public let attentionPlugin = Plugin(name: "attention",
                                    summary: "scaled dot-product and multi-head attention, position and token embeddings, transformer encoder and decoder layers") { r in
    try r.register(OpSpec("attention_arange", family: .source,
        signature: Signature([ArgSpec("n", .int, doc: "length"), ArgSpec("dtype", .dtype, default: .dtype(.f32))]),
        summary: "The constant [n] tensor 0, 1, ..., n-1 (positions for masks and position tables).",
        differentiable: false, flops: { _, outs in outs.first?.elementCount() ?? 0 }) { args in
        let n = try args.positiveInt("n")
        guard case .dtype(let d)? = args.value("dtype"), d.isFloat || d == .i32 || d == .i64 else {
            throw DLCError("argument 'dtype' of 'attention_arange' must be f32, f64, i32 or i64", argument: "dtype")
        }
        return [TensorType(d, [.known(n)])]
    })
    try r.setKernel(of: "attention_arange", for: .reference, arangeKernel)
    try r.setKernel(of: "attention_arange", for: .cpu, arangeKernel)

    // The fused attention op (AttentionOp.swift) and its kernels (AttentionKernels.swift).
    try r.register(attentionOp)
    try r.register(attentionBackwardOp)
    try r.setGradient(of: "attention", attentionGradient)
    try r.setKernel(of: "attention", for: .reference, attentionReference)
    try r.setKernel(of: "attention", for: .cpu, attentionCPU)
    try r.setKernel(of: "attention_backward", for: .reference, attentionBackwardReference)
    try r.setKernel(of: "attention_backward", for: .cpu, attentionBackwardCPU)

    try r.register(LayerSpec("scaled_dot_product_attention", signature: Signature([
        ArgSpec("q", .tensor, doc: "[..., Tq, D]"), ArgSpec("k", .tensor, doc: "[..., Tk, D]"), ArgSpec("v", .tensor, doc: "[..., Tk, Dv]"),
        ArgSpec("mask", .optionalTensor, doc: "bool (true = attend) or additive float, broadcasting to [..., Tq, Tk]"),
        ArgSpec("causal", .bool, default: .bool(false)),
    ]), summary: "softmax(q·kᵀ/√D + mask)·v, as torch.nn.functional.scaled_dot_product_attention", createsParameters: false) { b, args in
        let q = try args.tensor("q"), k = try args.tensor("k"), v = try args.tensor("v")
        for (i, t) in [q, k, v].enumerated() where !t.dtype.isFloat || t.rank < 2 {
            throw DLCError("'scaled_dot_product_attention' needs floating-point tensors of rank 2 or more, found \(t.type)", operands: [i])
        }
        var additive: Tensor?
        if let m = args.optionalTensor("mask") { additive = try additiveMask(b, m, dtype: q.dtype, trueMeansKeep: true) }
        return [try sdpa(b, q, k, v, mask: additive, causal: try args.bool("causal"))]
    })
    try r.register(LayerSpec("multi_head_attention", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, T, E] (queries; keys and values too for self-attention)"),
        ArgSpec("heads", .int),
        ArgSpec("context", .optionalTensor, doc: "[N, S, E]: keys and values for cross-attention"),
        ArgSpec("causal", .bool, default: .bool(false)),
        ArgSpec("padding_mask", .optionalTensor, doc: "[N, S] key padding: bool (true = ignore) or additive float"),
    ]), summary: "nn.MultiheadAttention(E, heads, batch_first=True): in_proj_weight [3E, E], in_proj_bias, out_proj.weight, out_proj.bias",
        createsParameters: true) { b, args in
        let x = try args.tensor("x")
        let e = try modelWidth(x, layer: "multi_head_attention")
        let heads = try args.positiveInt("heads")
        let p = try AttentionParams(b, width: e, dtype: x.dtype)
        return [try multiHeadAttention(b, p, x, context: args.optionalTensor("context"), heads: heads,
                                       causal: try args.bool("causal"), paddingMask: args.optionalTensor("padding_mask"))]
    })
    try r.register(LayerSpec("positional_embedding", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, T, E]"), ArgSpec("kind", .string, default: .string("sinusoidal"), doc: "sinusoidal or learned"),
        ArgSpec("max_len", .int, default: .int(5000)),
    ]), summary: "x + position table [T, E]: sinusoidal (no parameters) or learned (weight [max_len, E])", createsParameters: true) { b, args in
        [try positionalEmbedding(b, try args.tensor("x"), kind: try args.string("kind"), maxLen: try args.positiveInt("max_len"))]
    })
    try r.register(LayerSpec("token_embedding", signature: Signature([
        ArgSpec("ids", .tensor, doc: "integer ids [...]"), ArgSpec("vocab", .int), ArgSpec("dim", .int),
        ArgSpec("scale", .bool, default: .bool(false), doc: "multiply by √dim"),
    ]), summary: "nn.Embedding(vocab, dim): weight [vocab, dim]; result [..., dim]", createsParameters: true) { b, args in
        let ids = try args.tensor("ids")
        guard ids.dtype == .i32 || ids.dtype == .i64 else {
            throw DLCError("'token_embedding' needs integer ids, found \(ids.type)", operands: [0])
        }
        let dim = try args.positiveInt("dim")
        let w = try b.param("weight", shape: [try args.positiveInt("vocab"), dim], dtype: .f32, initializer: .normal(mean: 0, std: 1))
        var y = try b.op1("gather", [w, ids], ["axis": .int(0)])
        if try args.bool("scale") { y = try b.op1("mul", [y, b.constant(Double(dim).squareRoot(), dtype: .f32)]) }
        return [y]
    })
    try r.register(LayerSpec("transformer_encoder_layer", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, T, E]"), ArgSpec("heads", .int), ArgSpec("ff", .int, doc: "feed-forward width"),
        ArgSpec("norm_first", .bool, default: .bool(false)), ArgSpec("activation", .string, default: .string("relu"), doc: "relu or gelu"),
        ArgSpec("causal", .bool, default: .bool(false)),
        ArgSpec("padding_mask", .optionalTensor, doc: "[N, T]: bool (true = ignore) or additive float"),
        ArgSpec("eps", .float, default: .float(1e-5)),
    ]), summary: "nn.TransformerEncoderLayer(E, heads, ff, dropout=0, batch_first=True): self_attn.*, linear1.*, linear2.*, norm1.*, norm2.*",
        createsParameters: true) { b, args in
        let x = try args.tensor("x")
        let e = try modelWidth(x, layer: "transformer_encoder_layer")
        let heads = try args.positiveInt("heads"), ff = try args.positiveInt("ff")
        let act = try activation(try args.string("activation"))
        let eps = try args.double("eps")
        // Created in PyTorch's order (named_parameters()).
        let sa = try b.withScope("self_attn") { try AttentionParams(b, width: e, dtype: x.dtype) }
        let l1 = try b.withScope("linear1") { try LinearParams(b, inputs: e, outputs: ff, dtype: x.dtype) }
        let l2 = try b.withScope("linear2") { try LinearParams(b, inputs: ff, outputs: e, dtype: x.dtype) }
        let n1 = try b.withScope("norm1") { try NormParams(b, width: e, dtype: x.dtype) }
        let n2 = try b.withScope("norm2") { try NormParams(b, width: e, dtype: x.dtype) }
        let causal = try args.bool("causal"), pad = args.optionalTensor("padding_mask")
        func attend(_ h: Tensor) throws -> Tensor {
            try multiHeadAttention(b, sa, h, context: nil, heads: heads, causal: causal, paddingMask: pad)
        }
        func feedForward(_ h: Tensor) throws -> Tensor { try l2.apply(b, try act(b, try l1.apply(b, h))) }
        var h = x
        if try args.bool("norm_first") {
            h = try b.op1("add", [h, try attend(try n1.apply(b, h, eps: eps))])
            h = try b.op1("add", [h, try feedForward(try n2.apply(b, h, eps: eps))])
        } else {
            h = try n1.apply(b, try b.op1("add", [h, try attend(h)]), eps: eps)
            h = try n2.apply(b, try b.op1("add", [h, try feedForward(h)]), eps: eps)
        }
        return [h]
    })
    try r.register(LayerSpec("transformer_decoder_layer", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, T, E] (target)"), ArgSpec("memory", .tensor, doc: "[N, S, E] (encoder output)"),
        ArgSpec("heads", .int), ArgSpec("ff", .int, doc: "feed-forward width"),
        ArgSpec("norm_first", .bool, default: .bool(false)), ArgSpec("activation", .string, default: .string("relu"), doc: "relu or gelu"),
        ArgSpec("causal", .bool, default: .bool(true), doc: "causal self-attention (tgt_is_causal)"),
        ArgSpec("padding_mask", .optionalTensor, doc: "[N, T] target key padding"),
        ArgSpec("memory_padding_mask", .optionalTensor, doc: "[N, S] memory key padding"),
        ArgSpec("eps", .float, default: .float(1e-5)),
    ]), summary: "nn.TransformerDecoderLayer(E, heads, ff, dropout=0, batch_first=True): self_attn.*, multihead_attn.*, linear1.*, linear2.*, norm1-3.*",
        createsParameters: true) { b, args in
        let x = try args.tensor("x"), memory = try args.tensor("memory")
        let e = try modelWidth(x, layer: "transformer_decoder_layer")
        let heads = try args.positiveInt("heads"), ff = try args.positiveInt("ff")
        let act = try activation(try args.string("activation"))
        let eps = try args.double("eps")
        let sa = try b.withScope("self_attn") { try AttentionParams(b, width: e, dtype: x.dtype) }
        let ca = try b.withScope("multihead_attn") { try AttentionParams(b, width: e, dtype: x.dtype) }
        let l1 = try b.withScope("linear1") { try LinearParams(b, inputs: e, outputs: ff, dtype: x.dtype) }
        let l2 = try b.withScope("linear2") { try LinearParams(b, inputs: ff, outputs: e, dtype: x.dtype) }
        let n1 = try b.withScope("norm1") { try NormParams(b, width: e, dtype: x.dtype) }
        let n2 = try b.withScope("norm2") { try NormParams(b, width: e, dtype: x.dtype) }
        let n3 = try b.withScope("norm3") { try NormParams(b, width: e, dtype: x.dtype) }
        let causal = try args.bool("causal")
        let pad = args.optionalTensor("padding_mask"), memPad = args.optionalTensor("memory_padding_mask")
        func selfAttend(_ h: Tensor) throws -> Tensor {
            try multiHeadAttention(b, sa, h, context: nil, heads: heads, causal: causal, paddingMask: pad)
        }
        func crossAttend(_ h: Tensor) throws -> Tensor {
            try multiHeadAttention(b, ca, h, context: memory, heads: heads, causal: false, paddingMask: memPad)
        }
        func feedForward(_ h: Tensor) throws -> Tensor { try l2.apply(b, try act(b, try l1.apply(b, h))) }
        var h = x
        if try args.bool("norm_first") {
            h = try b.op1("add", [h, try selfAttend(try n1.apply(b, h, eps: eps))])
            h = try b.op1("add", [h, try crossAttend(try n2.apply(b, h, eps: eps))])
            h = try b.op1("add", [h, try feedForward(try n3.apply(b, h, eps: eps))])
        } else {
            h = try n1.apply(b, try b.op1("add", [h, try selfAttend(h)]), eps: eps)
            h = try n2.apply(b, try b.op1("add", [h, try crossAttend(h)]), eps: eps)
            h = try n3.apply(b, try b.op1("add", [h, try feedForward(h)]), eps: eps)
        }
        return [h]
    })
}

// MARK: - The arange op's kernel (the same for both back ends: it is a fill)

private func arangeKernel(_ call: KernelCall) throws {
    let n = call.outputShapes[0].reduce(1, *)
    switch call.outputTypes[0] {
    case .f32: let y = call.output(0, as: Float.self); for i in 0..<n { y[i] = Float(i) }
    case .f64: let y = call.output(0, as: Double.self); for i in 0..<n { y[i] = Double(i) }
    case .i32: let y = call.output(0, as: Int32.self); for i in 0..<n { y[i] = Int32(i) }
    case .i64: let y = call.output(0, as: Int64.self); for i in 0..<n { y[i] = Int64(i) }
    default: throw DLCError("attention_arange: element type \(call.outputTypes[0]) is not supported")
    }
}

// MARK: - Parameters

/// The model width E: the last dimension of a float [N, T, E] tensor, which must be known.
private func modelWidth(_ x: Tensor, layer: String) throws -> Int {
    guard x.dtype.isFloat, x.rank == 3, let e = x.shape[2].value else {
        throw DLCError("'\(layer)' needs a floating-point tensor [N, T, E] with a known E, found \(x.type)", operands: [0])
    }
    return e
}

/// nn.MultiheadAttention's parameters in the current scope, initialized as PyTorch does.
struct AttentionParams {
    let inWeight: Tensor, inBias: Tensor, outWeight: Tensor, outBias: Tensor
    let width: Int

    init(_ b: GraphBuilder, width e: Int, dtype: DType = .f32) throws {
        width = e
        inWeight = try b.param("in_proj_weight", shape: [3 * e, e], dtype: dtype, initializer: .glorotUniform)
        inBias = try b.param("in_proj_bias", shape: [3 * e], dtype: dtype, initializer: .zeros)
        let bound = 1 / Double(e).squareRoot()
        outWeight = try b.param("out_proj.weight", shape: [e, e], dtype: dtype, initializer: .uniform(low: -bound, high: bound))
        outBias = try b.param("out_proj.bias", shape: [e], dtype: dtype, initializer: .zeros)
    }
}

/// nn.Linear: weight [out, in], bias [out], both U(-1/√in, 1/√in).
struct LinearParams {
    let weight: Tensor, bias: Tensor

    init(_ b: GraphBuilder, inputs: Int, outputs: Int, dtype: DType) throws {
        let bound = 1 / Double(inputs).squareRoot()
        weight = try b.param("weight", shape: [outputs, inputs], dtype: dtype, initializer: .uniform(low: -bound, high: bound))
        bias = try b.param("bias", shape: [outputs], dtype: dtype, initializer: .uniform(low: -bound, high: bound))
    }

    func apply(_ b: GraphBuilder, _ x: Tensor) throws -> Tensor {
        try linear(b, x, weight, bias)
    }
}

/// nn.LayerNorm over the last dimension: weight (ones), bias (zeros).
struct NormParams {
    let weight: Tensor, bias: Tensor

    init(_ b: GraphBuilder, width: Int, dtype: DType) throws {
        weight = try b.param("weight", shape: [width], dtype: dtype, initializer: .ones)
        bias = try b.param("bias", shape: [width], dtype: dtype, initializer: .zeros)
    }

    func apply(_ b: GraphBuilder, _ x: Tensor, eps: Double) throws -> Tensor {
        try b.op1("layer_norm", [x, weight, bias], ["axes": .int(1), "eps": .float(eps)])
    }
}

private func activation(_ name: String) throws -> (GraphBuilder, Tensor) throws -> Tensor {
    switch name {
    case "relu": return { b, x in try b.op1("relu", [x]) }
    case "gelu": return { b, x in try b.op1("gelu", [x]) }
    default: throw DLCError("unknown activation '\(name)'; use relu or gelu", argument: "activation")
    }
}

// MARK: - Building blocks

/// x·wᵀ + bias.
private func linear(_ b: GraphBuilder, _ x: Tensor, _ w: Tensor, _ bias: Tensor) throws -> Tensor {
    try b.op1("add", [try b.op1("matmul", [x, w], ["transpose_b": .bool(true)]), bias])
}

/// A mask as an additive float tensor: a float mask is used as it is; a bool mask becomes
/// 0 where attention is allowed and -1e9 where it is not (which softmax turns into exact zeros).
private func additiveMask(_ b: GraphBuilder, _ m: Tensor, dtype: DType, trueMeansKeep: Bool) throws -> Tensor {
    if m.dtype == .bool {
        let zero = b.constant(0, dtype: dtype), blocked = b.constant(-1e9, dtype: dtype)
        return try b.op1("where", [m, trueMeansKeep ? zero : blocked, trueMeansKeep ? blocked : zero])
    }
    guard m.dtype == dtype else {
        throw DLCError("an attention mask must be bool or \(dtype), found \(m.type)")
    }
    return m
}

/// softmax(q·kᵀ/√D + mask [+ causal])·v over `heads` column blocks of the last axis: one
/// `attention` op (its first result; the second, the probabilities, feeds its gradient).
/// Operands whose batch dimensions differ are broadcast to common ones first.
func sdpa(_ b: GraphBuilder, _ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, causal: Bool, heads: Int = 1) throws -> Tensor {
    var qkv = [q, k, v]
    let batches = qkv.map { Array($0.shape.dropLast(2)) }
    if batches[1] != batches[0] || batches[2] != batches[0] {
        var common = batches[0]
        for (i, other) in batches.enumerated().dropFirst() {
            common = try Shapes.broadcast(common, other) { _, _, _ in
                DLCError("'scaled_dot_product_attention': the batch dimensions of \(q.type), \(k.type) and \(v.type) do not broadcast",
                         operands: [0, i])
            }
        }
        qkv = try qkv.map { t in
            let full = common + Array(t.shape.suffix(2))
            return t.shape == full ? t : try b.op1("broadcast_to", [t], ["shape": shapeValue(full)])
        }
    }
    return try b.op("attention", qkv + (mask.map { [$0] } ?? []), ["heads": .int(heads), "causal": .bool(causal)])[0]
}

/// nn.MultiheadAttention's forward (batch_first): q from x, k and v from x or the context,
/// through the slices of the packed in-projection; heads; out-projection.
func multiHeadAttention(_ b: GraphBuilder, _ p: AttentionParams, _ x: Tensor, context: Tensor?, heads: Int,
                        causal: Bool, paddingMask: Tensor?) throws -> Tensor {
    let e = p.width
    guard e % heads == 0 else {
        throw DLCError("the width \(e) is not divisible by \(heads) heads", argument: "heads")
    }
    let kv = context ?? x
    if let context {
        guard context.dtype == x.dtype, context.rank == 3, context.shape[2].value == e else {
            throw DLCError("the context of a cross-attention must be \(x.dtype)[N, S, \(e)], found \(context.type)", argument: "context")
        }
    }
    func part(_ i: Int) throws -> (Tensor, Tensor) {
        let w = try b.op1("slice", [p.inWeight], ["axis": .int(0), "start": .int(i * e), "end": .int((i + 1) * e)])
        let bias = try b.op1("slice", [p.inBias], ["axis": .int(0), "start": .int(i * e), "end": .int((i + 1) * e)])
        return (w, bias)
    }
    let (wq, bq) = try part(0), (wk, bk) = try part(1), (wv, bv) = try part(2)
    let q = try linear(b, x, wq, bq), k = try linear(b, kv, wk, bk), v = try linear(b, kv, wv, bv)
    var mask: Tensor?
    if let pm = paddingMask {
        guard pm.rank == 2 else {
            throw DLCError("a padding mask must be [N, S], found \(pm.type)", argument: "padding_mask")
        }
        // [N, S] → [N, 1, 1, S] against the scores [N, heads, T, S] ([N, 1, S] for one head).
        let additive = try additiveMask(b, pm, dtype: x.dtype, trueMeansKeep: false)
        let shape = [pm.shape[0]] + (heads > 1 ? [Dim.known(1)] : []) + [.known(1), pm.shape[1]]
        mask = try b.op1("reshape", [additive], ["shape": shapeValue(shape)])
    }
    let o = try sdpa(b, q, k, v, mask: mask, causal: causal, heads: heads)
    return try linear(b, o, p.outWeight, p.outBias)
}

/// x + a [T, E] position table.
private func positionalEmbedding(_ b: GraphBuilder, _ x: Tensor, kind: String, maxLen: Int) throws -> Tensor {
    guard x.dtype.isFloat, x.rank == 3, let t = x.shape[1].value, let e = x.shape[2].value else {
        throw DLCError("'positional_embedding' needs a floating-point tensor [N, T, E] with known T and E, found \(x.type)", operands: [0])
    }
    guard t <= maxLen else {
        throw DLCError("'positional_embedding': the sequence length \(t) is longer than max_len \(maxLen)", argument: "max_len")
    }
    switch kind {
    case "learned":
        let w = try b.param("weight", shape: [maxLen, e], dtype: x.dtype, initializer: .normal(mean: 0, std: 1))
        let table = t == maxLen ? w : try b.op1("slice", [w], ["axis": .int(0), "start": .int(0), "end": .int(t)])
        return try b.op1("add", [x, table])
    case "sinusoidal":
        // pe[p, i] = sin(p · 10000^(-2⌊i/2⌋/E) + (i mod 2)·π/2): sin on even i, cos on odd i.
        let dt = x.dtype
        let pos = try b.op1("reshape", [try b.op1("attention_arange", [], ["n": .int(t), "dtype": .dtype(dt)])],
                            ["shape": .list([.int(t), .int(1)])])
        let i = try b.op1("attention_arange", [], ["n": .int(e), "dtype": .dtype(dt)])
        let pair = try b.op1("floor", [try b.op1("mul", [i, b.constant(0.5, dtype: dt)])])
        let odd = try b.op1("sub", [i, try b.op1("mul", [pair, b.constant(2, dtype: dt)])])
        let freq = try b.op1("exp", [try b.op1("mul", [pair, b.constant(-2 * log(10000.0) / Double(e), dtype: dt)])])
        let angle = try b.op1("add", [try b.op1("mul", [pos, freq]), try b.op1("mul", [odd, b.constant(Double.pi / 2, dtype: dt)])])
        return try b.op1("add", [x, try b.op1("sin", [angle])])
    default:
        throw DLCError("unknown position embedding '\(kind)'; use sinusoidal or learned", argument: "kind")
    }
}
