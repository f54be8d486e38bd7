import DLCCore

/// The `fused_matmul` op: a matrix product followed by its epilogue (bias or residual adds,
/// scaling, one or more activations), one kernel (the product, then the epilogue over each
/// row of it while it is in cache). Operands
/// `a` [..., M, K] and `b` [..., K, N] (before their transposes) of rank 2 or more; the batch
/// dimensions broadcast as in `matmul`. Not differentiable (fusion runs after autodiff).
public let fusedMatMulOp = OpSpec(
    "fused_matmul", family: .matmul,
    signature: Signature([ArgSpec("xs", .tensors, doc: "a, b, then the operands the epilogue adds"),
                          ArgSpec("transpose_a", .bool, default: .bool(false), doc: "use the transpose of a's last two dimensions"),
                          ArgSpec("transpose_b", .bool, default: .bool(false), doc: "use the transpose of b's last two dimensions"),
                          ArgSpec("epilogue", .value, doc: "the steps after the product (see Epilogue)")]),
    summary: "A matmul with its bias, residual, scaling and activation epilogue in one kernel (made by the fuse-epilogue pass).",
    differentiable: false,
    flops: { args, outs in
        let xs = args.tensorList("xs")
        guard xs.count >= 2, let out = outs.first else { return 0 }
        let a = xs[0].type, ta = (try? args.bool("transpose_a")) ?? false
        let k = a.rank < 2 ? Dim.known(1) : a.shape[a.rank - (ta ? 2 : 1)]
        return 2 &* out.elementCount() &* (k.value ?? 1) &+ out.elementCount() &* (args.statics["epilogue"]?.listValue?.count ?? 0)
    },
    infer: { args in
        let xs = args.tensorList("xs")
        guard xs.count >= 2 else { throw DLCError("fused_matmul needs the operands a and b") }
        let a = xs[0].type, b = xs[1].type
        let ta = try args.bool("transpose_a"), tb = try args.bool("transpose_b")
        guard a.rank >= 2, b.rank >= 2, a.dtype == b.dtype, a.dtype.isFloat else {
            throw DLCError("fused_matmul needs float operands of rank 2 or more of one element type, found \(a) and \(b)")
        }
        let m = a.shape[a.rank - (ta ? 1 : 2)], k = a.shape[a.rank - (ta ? 2 : 1)]
        let kb = b.shape[b.rank - (tb ? 1 : 2)], n = b.shape[b.rank - (tb ? 2 : 1)]
        guard k == kb else { throw DLCError("fused_matmul: inner dimensions \(k) and \(kb) differ") }
        let batch = try Shapes.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) { i, x, y in
            DLCError("fused_matmul: batch dimensions \(x) and \(y) do not broadcast (at \(i))")
        }
        let result = TensorType(a.dtype, batch + [m, n])
        let epilogue = try Epilogue(attribute: args.statics["epilogue"], operands: xs.count)
        for case .add(let i) in epilogue.steps {
            let t = xs[i].type
            guard t.dtype == a.dtype else { throw DLCError("fused_matmul: the added operand \(i) is \(t), not \(a.dtype)") }
            _ = try Shapes.broadcast(t.shape, result.shape) { j, x, y in
                DLCError("fused_matmul: the added operand \(t) does not broadcast to \(result) (\(x) against \(y) at \(j))")
            }
        }
        for i in epilogue.maskOperands where xs[i].type != result {
            throw DLCError("fused_matmul: the relu_mask operand \(i) is \(xs[i].type), not the result's type \(result)")
        }
        return [result]
    })
