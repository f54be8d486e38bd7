// `matmul`: NumPy matrix multiplication with optional transposes, rank-1 operands and
// broadcasting batch dimensions.
import DLCCore

/// The shape rule of `matmul`. A rank-1 `a` is a row vector whose dimension is dropped from
/// the result, a rank-1 `b` a column vector likewise; leading (batch) dimensions broadcast.
/// `transpose_a`/`transpose_b` swap the last two dimensions of a matrix operand.
private func inferMatMul(_ args: Arguments) throws -> [TensorType] {
    let a = try args.tensor("a").type, b = try args.tensor("b").type
    let ta = try args.bool("transpose_a"), tb = try args.bool("transpose_b")
    try Check.sameDType(a, b, op: "matmul")
    try Check.numeric(a, operand: 0, op: "matmul")
    for (i, t) in [a, b].enumerated() where t.rank == 0 {
        throw DLCError("'matmul' needs operands of rank 1 or more, found the scalar \(t); use mul() to scale", operands: [i])
    }
    if ta && a.rank == 1 { throw DLCError("'matmul' cannot transpose the vector \(a) (transpose_a needs rank 2 or more)", argument: "transpose_a") }
    if tb && b.rank == 1 { throw DLCError("'matmul' cannot transpose the vector \(b) (transpose_b needs rank 2 or more)", argument: "transpose_b") }

    // Matrices [batch..., rows, cols] after the transposes.
    func matrix(_ t: TensorType, transposed: Bool, vectorIsRow: Bool) -> (batch: [Dim], rows: Dim, cols: Dim) {
        if t.rank == 1 { return vectorIsRow ? ([], .known(1), t.shape[0]) : ([], t.shape[0], .known(1)) }
        let r = t.shape[t.rank - 2], c = t.shape[t.rank - 1]
        return (Array(t.shape.dropLast(2)), transposed ? c : r, transposed ? r : c)
    }
    let ma = matrix(a, transposed: ta, vectorIsRow: true), mb = matrix(b, transposed: tb, vectorIsRow: false)
    let aText = ta ? "the transpose of \(a)" : "\(a)", bText = tb ? "the transpose of \(b)" : "\(b)"
    guard ma.cols == mb.rows else {
        throw DLCError("cannot multiply \(aText) by \(bText) in 'matmul': inner dimensions \(ma.cols) and \(mb.rows) differ",
                       operands: [0, 1])
    }
    let batch = try Shapes.broadcast(ma.batch, mb.batch) { _, _, _ in
        DLCError("cannot multiply \(aText) by \(bText) in 'matmul': batch dimensions [\(ma.batch.map(\.description).joined(separator: ", "))] and [\(mb.batch.map(\.description).joined(separator: ", "))] do not broadcast",
                 operands: [0, 1])
    }
    var shape = batch
    if a.rank > 1 { shape.append(ma.rows) }
    if b.rank > 1 { shape.append(mb.cols) }
    return [TensorType(a.dtype, shape)]
}

func registerMatMul(_ registry: Registry) throws {
    try registry.register(OpSpec(
        "matmul", family: .matmul,
        signature: Signature([.operand("a"), .operand("b"),
                              .attr("transpose_a", .bool, .bool(false), "use the transpose of a's last two dimensions"),
                              .attr("transpose_b", .bool, .bool(false), "use the transpose of b's last two dimensions")]),
        summary: "Matrix product with NumPy semantics (rank-1 operands, broadcasting batch dimensions).",
        flops: { args, outs in
            // 2·M·K·N·batch = 2 · (output elements) · K.
            guard let a = try? args.tensor("a").type, let out = outs.first else { return 0 }
            let ta = (try? args.bool("transpose_a")) ?? false
            let k = a.rank == 1 ? a.shape[0] : a.shape[a.rank - (ta ? 2 : 1)]
            return 2 &* out.elementCount() &* count(k)
        },
        infer: inferMatMul))
}
