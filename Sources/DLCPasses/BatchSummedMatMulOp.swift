import DLCCore

/// The `batch_summed_matmul` op: Σ over the batch dimensions of a[i]ᵀ·b[i], for `a`
/// [batch..., K, M] and `b` [batch..., K, N] with the same batch dimensions — the weight
/// gradient of a dense layer applied to a sequence (`sum(matmul(x, g, transpose_a: true),
/// axes: batch)`). Stacked, the batch is part of the contraction: the result is one product
/// reshape(a, [-1, M])ᵀ · reshape(b, [-1, N]) of K·batch terms, so neither the batch of
/// [M, N] products nor its sum is materialized. The result is [M, N], or with `keepdims`
/// [1, …, 1, M, N]. Made by the `fuse-batch-sum` pass; not differentiable (fusion runs after
/// autodiff).
public let batchSummedMatMulOp = OpSpec(
    "batch_summed_matmul", family: .matmul,
    signature: Signature([ArgSpec("a", .tensor, doc: "[batch…, K, M]"), ArgSpec("b", .tensor, doc: "[batch…, K, N]"),
                          ArgSpec("keepdims", .bool, default: .bool(false), doc: "keep the summed batch dimensions as size 1")]),
    summary: "Σ over the batch of a[i]ᵀ·b[i] as one matrix product over the stacked batch (made by the fuse-batch-sum pass).",
    differentiable: false,
    flops: { args, outs in
        guard let a = try? args.tensor("a").type, let out = outs.first, a.rank >= 2 else { return 0 }
        let k = a.shape.dropLast().reduce(1) { $0 &* ($1.value ?? 1) }
        return 2 &* out.elementCount() &* k
    },
    infer: { args in
        let a = try args.tensor("a").type, b = try args.tensor("b").type
        guard a.rank >= 3, a.rank == b.rank, a.dtype == b.dtype, a.dtype.isFloat else {
            throw DLCError("batch_summed_matmul needs float operands of one rank (3 or more) and element type, found \(a) and \(b)")
        }
        guard Array(a.shape.dropLast()) == Array(b.shape.dropLast()) else {
            throw DLCError("batch_summed_matmul: \(a) and \(b) differ in their batch or contracted dimensions")
        }
        let m = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let ones = try args.bool("keepdims") ? [Dim](repeating: .known(1), count: a.rank - 2) : []
        return [TensorType(a.dtype, ones + [m, n])]
    })
