// The kernels of `attention` and `attention_backward`: the reference one (exact, in Double,
// for the reference interpreter and gradient checks; the CPU back end uses it for f64 too)
// and the f32 CPU one in C (Kernels/attention.c: oneDNN sgemm per head, shared among the
// CPU back end's OpenMP threads).
import CAttentionKernels
import DLCCore
import Foundation

/// The concrete sizes of one kernel call, and where the mask entry of each score is.
struct AttentionGeometry {
    let batch: Int, heads: Int, queries: Int, keys: Int, d: Int, dv: Int
    let scale: Double
    let causal: Bool
    /// Per (batch, head) pair, the mask offset of its score (0, 0); nil without a mask.
    let maskOffsets: [Int64]?
    let maskRow: Int, maskCol: Int

    /// - Parameter mask: the operand index of the mask, if the call has one.
    init(_ call: KernelCall, mask: Int?) throws {
        let q = call.inputShapes[0], k = call.inputShapes[1], v = call.inputShapes[2]
        heads = call.attributes["heads"]?.intValue ?? 1
        causal = call.attributes["causal"]?.boolValue ?? false
        let batchShape = Array(q.dropLast(2))
        batch = batchShape.reduce(1, *)
        queries = q[q.count - 2]
        keys = k[k.count - 2]
        d = q[q.count - 1] / heads
        dv = v[v.count - 1] / heads
        let given = try call.double("scale")
        scale = given == 0 ? 1 / Double(d).squareRoot() : given
        guard let mask else {
            maskOffsets = nil
            maskRow = 0
            maskCol = 0
            return
        }
        // Strides of the mask over the score axes (0 along broadcast axes).
        let scores = batchShape + (heads > 1 ? [heads] : []) + [queries, keys]
        let m = call.inputShapes[mask]
        let offset = scores.count - m.count
        var strides = Array(repeating: 0, count: scores.count)
        var step = 1
        for a in stride(from: scores.count - 1, through: offset, by: -1) {
            let size = m[a - offset]
            strides[a] = size == 1 ? 0 : step
            step *= size
        }
        maskRow = strides[scores.count - 2]
        maskCol = strides[scores.count - 1]
        var offsets: [Int64] = []
        offsets.reserveCapacity(batch * heads)
        for b in 0..<batch {
            var rest = b, base = 0
            for a in stride(from: batchShape.count - 1, through: 0, by: -1) {
                base += (rest % batchShape[a]) * strides[a]
                rest /= batchShape[a]
            }
            for h in 0..<heads { offsets.append(Int64(base + (heads > 1 ? h * strides[batchShape.count] : 0))) }
        }
        maskOffsets = offsets
    }

    /// The keys query i sees: all, or 0...i under the causal mask.
    func visibleKeys(_ i: Int) -> Int { causal ? min(i + 1, keys) : keys }
}

// MARK: - Reference kernels (Double)

/// Operand `i` converted to Double.
private func doubles(_ call: KernelCall, _ i: Int) throws -> [Double] {
    switch call.inputTypes[i] {
    case .f32: return call.input(i, as: Float.self).map(Double.init)
    case .f64: return Array(call.input(i, as: Double.self))
    default: throw DLCError("attention: element type \(call.inputTypes[i]) is not supported")
    }
}

/// Writes result `i` from Double values.
private func store(_ values: [Double], _ call: KernelCall, _ i: Int) throws {
    switch call.outputTypes[i] {
    case .f32: let y = call.output(i, as: Float.self); for j in 0..<y.count { y[j] = Float(values[j]) }
    case .f64: let y = call.output(i, as: Double.self); for j in 0..<y.count { y[j] = values[j] }
    default: throw DLCError("attention: element type \(call.outputTypes[i]) is not supported")
    }
}

/// softmax(scale·q·kᵀ + mask)·v per head, in Double.
func attentionReference(_ call: KernelCall) throws {
    let hasMask = call.inputs.count > 3
    let g = try AttentionGeometry(call, mask: hasMask ? 3 : nil)
    let q = try doubles(call, 0), k = try doubles(call, 1), v = try doubles(call, 2)
    let mask = hasMask ? try doubles(call, 3) : []
    let (e, ev, tq, tk) = (g.heads * g.d, g.heads * g.dv, g.queries, g.keys)
    var out = Array(repeating: 0.0, count: g.batch * tq * ev), probs = Array(repeating: 0.0, count: g.batch * g.heads * tq * tk)
    for b in 0..<g.batch {
        for h in 0..<g.heads {
            let bh = b * g.heads + h, pBase = bh * tq * tk
            for i in 0..<tq {
                let visible = g.visibleKeys(i)
                var row = Array(repeating: 0.0, count: visible)
                for j in 0..<visible {
                    var s = 0.0
                    for c in 0..<g.d { s += q[(b * tq + i) * e + h * g.d + c] * k[(b * tk + j) * e + h * g.d + c] }
                    s *= g.scale
                    if let offsets = g.maskOffsets { s += mask[Int(offsets[bh]) + i * g.maskRow + j * g.maskCol] }
                    row[j] = s
                }
                let m = row.max()!
                let exps = row.map { Foundation.exp($0 - m) }
                let sum = exps.reduce(0, +)
                for j in 0..<visible { probs[pBase + i * tk + j] = exps[j] / sum }
                for c in 0..<g.dv {
                    var o = 0.0
                    for j in 0..<visible { o += probs[pBase + i * tk + j] * v[(b * tk + j) * ev + h * g.dv + c] }
                    out[(b * tq + i) * ev + h * g.dv + c] = o
                }
            }
        }
    }
    try store(out, call, 0)
    try store(probs, call, 1)
}

/// dq, dk, dv per head from the saved probabilities, in Double.
func attentionBackwardReference(_ call: KernelCall) throws {
    let g = try AttentionGeometry(call, mask: nil)
    let q = try doubles(call, 0), k = try doubles(call, 1), v = try doubles(call, 2)
    let p = try doubles(call, 3), dOut = try doubles(call, 4)
    let dProbs = call.inputs.count > 5 ? try doubles(call, 5) : nil
    let (e, ev, tq, tk) = (g.heads * g.d, g.heads * g.dv, g.queries, g.keys)
    var dq = Array(repeating: 0.0, count: q.count), dk = Array(repeating: 0.0, count: k.count)
    var dv = Array(repeating: 0.0, count: v.count)
    for b in 0..<g.batch {
        for h in 0..<g.heads {
            let pBase = (b * g.heads + h) * tq * tk
            for i in 0..<tq {
                let oRow = (b * tq + i) * ev + h * g.dv
                var dp = Array(repeating: 0.0, count: tk)
                for j in 0..<tk {
                    let vRow = (b * tk + j) * ev + h * g.dv
                    var s = dProbs?[pBase + i * tk + j] ?? 0
                    for c in 0..<g.dv {
                        s += dOut[oRow + c] * v[vRow + c]
                        dv[vRow + c] += p[pBase + i * tk + j] * dOut[oRow + c]
                    }
                    dp[j] = s
                }
                var dot = 0.0
                for j in 0..<tk { dot += p[pBase + i * tk + j] * dp[j] }
                for j in 0..<tk {
                    let ds = g.scale * p[pBase + i * tk + j] * (dp[j] - dot)
                    let qRow = (b * tq + i) * e + h * g.d, kRow = (b * tk + j) * e + h * g.d
                    for c in 0..<g.d {
                        dq[qRow + c] += ds * k[kRow + c]
                        dk[kRow + c] += ds * q[qRow + c]
                    }
                }
            }
        }
    }
    try store(dq, call, 0)
    try store(dk, call, 1)
    try store(dv, call, 2)
}

// MARK: - CPU kernels

/// The C kernels' description of a call (the offsets must outlive the C call).
private func cShape(_ g: AttentionGeometry, mask: UnsafeRawPointer?, offsets: UnsafePointer<Int64>?) -> dlc_attention_shape {
    dlc_attention_shape(batch: Int64(g.batch), heads: Int64(g.heads), tq: Int64(g.queries), tk: Int64(g.keys),
                        d: Int64(g.d), dv: Int64(g.dv), scale: Float(g.scale), causal: g.causal ? 1 : 0,
                        mask: mask?.assumingMemoryBound(to: Float.self), mask_offsets: offsets,
                        mask_row: Int64(g.maskRow), mask_col: Int64(g.maskCol))
}

private func check(_ status: Int32, _ op: String) throws {
    switch status {
    case 0: return
    case -1: throw DLCError("\(op): out of memory")
    default: throw DLCError("\(op): oneDNN's sgemm failed (code \(status))")
    }
}

/// f32 in C; f64 with the reference loops.
func attentionCPU(_ call: KernelCall) throws {
    guard call.inputTypes[0] == .f32 else { return try attentionReference(call) }
    let hasMask = call.inputs.count > 3
    let g = try AttentionGeometry(call, mask: hasMask ? 3 : nil)
    let offsets = g.maskOffsets ?? []
    let status = offsets.withUnsafeBufferPointer { o in
        var s = cShape(g, mask: hasMask ? call.inputs[3] : nil, offsets: hasMask ? o.baseAddress : nil)
        return dlc_attention_forward_f32(&s, call.inputs[0].assumingMemoryBound(to: Float.self),
                                         call.inputs[1].assumingMemoryBound(to: Float.self),
                                         call.inputs[2].assumingMemoryBound(to: Float.self),
                                         call.outputs[0].assumingMemoryBound(to: Float.self),
                                         call.outputs[1].assumingMemoryBound(to: Float.self))
    }
    try check(status, "attention")
}

/// f32 in C; f64 with the reference loops.
func attentionBackwardCPU(_ call: KernelCall) throws {
    guard call.inputTypes[0] == .f32 else { return try attentionBackwardReference(call) }
    let g = try AttentionGeometry(call, mask: nil)
    var s = cShape(g, mask: nil, offsets: nil)
    func f(_ i: Int) -> UnsafePointer<Float> { call.inputs[i].assumingMemoryBound(to: Float.self) }
    let status = dlc_attention_backward_f32(&s, f(0), f(1), f(2), f(3), f(4), call.inputs.count > 5 ? f(5) : nil,
                                            call.outputs[0].assumingMemoryBound(to: Float.self),
                                            call.outputs[1].assumingMemoryBound(to: Float.self),
                                            call.outputs[2].assumingMemoryBound(to: Float.self))
    try check(status, "attention_backward")
}
