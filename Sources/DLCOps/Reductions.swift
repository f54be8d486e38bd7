// Reductions over axes (sum, mean, max, min, prod) and index reductions (argmax, argmin).
import DLCCore

/// Reductions: name, summary, whether they need floats (mean), differentiable.
private let reductions: [(String, String, Domain)] = [
    ("sum", "Sum over axes (all axes by default).", .numeric),
    ("mean", "Mean over axes (all axes by default).", .float),
    ("max", "Maximum over axes (all axes by default).", .numeric),
    ("min", "Minimum over axes (all axes by default).", .numeric),
    ("prod", "Product over axes (all axes by default).", .numeric),
]

/// The shape left after reducing `axes`: size 1 there with keepdims, gone otherwise.
func reducedShape(_ shape: [Dim], axes: [Int], keepdims: Bool) -> [Dim] {
    shape.indices.compactMap { i in axes.contains(i) ? (keepdims ? .known(1) : nil) : shape[i] }
}

func registerReductions(_ registry: Registry) throws {
    for (name, summary, domain) in reductions {
        try registry.register(OpSpec(
            name, family: .reduction,
            signature: Signature([.operand("x"),
                                  .attr("axes", .value, .list([]), "an axis or a list of axes; [] reduces all"),
                                  .attr("keepdims", .bool, .bool(false), "keep reduced axes with size 1")]),
            summary: summary,
            flops: { args, _ in (try? args.tensor("x").type.elementCount()) ?? 0 }) { args in
            let x = try args.tensor("x").type
            try domain.check(x, operand: 0, op: name)
            let axes = try parseAxes(args, "axes", rank: x.rank, op: name)
            return [x.with(shape: reducedShape(x.shape, axes: axes, keepdims: try args.bool("keepdims")))]
        })
    }
    for (name, what) in [("argmax", "largest"), ("argmin", "smallest")] {
        try registry.register(OpSpec(
            name, family: .reduction,
            signature: Signature([.operand("x"),
                                  .attr("axis", .int, .int(-1), "the axis searched"),
                                  .attr("keepdims", .bool, .bool(false), "keep the axis with size 1")]),
            summary: "Index (i64) of the \(what) element along an axis.", differentiable: false,
            flops: { args, _ in (try? args.tensor("x").type.elementCount()) ?? 0 }) { args in
            let x = try args.tensor("x").type
            try Check.numeric(x, operand: 0, op: name)
            guard x.rank > 0 else { throw DLCError("'\(name)' needs a tensor of rank 1 or more, found \(x)", operands: [0]) }
            let axis = try Shapes.axis(try args.int("axis"), rank: x.rank, op: name)
            return [TensorType(.i64, reducedShape(x.shape, axes: [axis], keepdims: try args.bool("keepdims")))]
        })
    }
}
