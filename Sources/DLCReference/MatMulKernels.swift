// `matmul` with NumPy semantics: rank-1 operands (a row vector on the left, a column vector on
// the right, their unit dimension dropped), broadcasting batch dimensions, transpose flags.
import DLCCore

/// A batched product [batch..., M, K] × [batch..., K, N] of flat row-major arrays, where each
/// operand's batch index is mapped through `ia` / `ib`.
private func batchedProduct<T: Numeric>(_ a: [T], _ b: [T], batches: Int, ia: [Int], ib: [Int],
                                        m: Int, k: Int, n: Int, aT: Bool, bT: Bool,
                                        add: (T, T) -> T, mul: (T, T) -> T) -> [T] {
    var out = [T](repeating: 0, count: batches * m * n)
    for bi in 0..<batches {
        let ao = ia[bi] * m * k, bo = ib[bi] * k * n
        for i in 0..<m {
            for j in 0..<n {
                var acc: T = 0
                for p in 0..<k {
                    let x = a[ao + (aT ? p * m + i : i * k + p)]
                    let y = b[bo + (bT ? j * k + p : p * n + j)]
                    acc = add(acc, mul(x, y))
                }
                out[bi * m * n + i * n + j] = acc
            }
        }
    }
    return out
}

func registerMatMulKernels(_ k: ReferenceKernels) {
    k.register("matmul") { ctx in
        let a = ctx.inputs[0], b = ctx.inputs[1]
        var ta = try ctx.arguments.bool("transpose_a"), tb = try ctx.arguments.bool("transpose_b")
        // Matrices as [batch..., rows, cols] in storage order.
        var ashape = a.shape, bshape = b.shape
        if ashape.count == 1 { ashape = [1, ashape[0]]; ta = false }
        if bshape.count == 1 { bshape = [bshape[0], 1]; tb = false }
        let ar = ashape.count, br = bshape.count
        let m = ta ? ashape[ar - 1] : ashape[ar - 2], ka = ta ? ashape[ar - 2] : ashape[ar - 1]
        let kb = tb ? bshape[br - 1] : bshape[br - 2], n = tb ? bshape[br - 2] : bshape[br - 1]
        guard ka == kb else { throw kernelError("matmul", "inner dimensions \(ka) and \(kb) differ") }
        let abatch = Array(ashape.dropLast(2)), bbatch = Array(bshape.dropLast(2))
        guard let batch = broadcastShapes(abatch, bbatch) else {
            throw kernelError("matmul", "batch dimensions \(abatch) and \(bbatch) do not broadcast")
        }
        let ia = broadcastIndices(from: abatch, to: batch), ib = broadcastIndices(from: bbatch, to: batch)
        let count = batch.reduce(1, *)
        let shape = ctx.outputShapes[0], dtype = ctx.outputTypes[0]
        if dtype.isFloat {
            let r = batchedProduct(a.doubles, b.doubles, batches: count, ia: ia, ib: ib, m: m, k: ka, n: n,
                                   aT: ta, bT: tb, add: +, mul: *)
            return [HostTensor.from(r, shape: shape, dtype: dtype)]
        }
        let r = batchedProduct(a.int64s, b.int64s, batches: count, ia: ia, ib: ib, m: m, k: ka, n: n,
                               aT: ta, bT: tb, add: { $0 &+ $1 }, mul: { $0 &* $1 })
        return [HostTensor.fromInts(r, shape: shape, dtype: dtype)]
    }
}
