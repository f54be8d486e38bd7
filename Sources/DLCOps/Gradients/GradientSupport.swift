// Gradient rules of the built-in ops, as a table in the manner of tinygrad's gradient.py:
// each rule emits the vector-Jacobian product as IR through the builder (never numbers).
// This file has the entry point and the helpers every family shares; the rules are in
// ElementwiseGradients, TensorGradients, NetworkGradients and LossGradients.
import DLCCore

/// Registers the backward ops and attaches a gradient rule to every differentiable built-in op.
func registerGradients(_ registry: Registry) throws {
    try registerBackwardOps(registry)
    for (op, rule) in elementwiseGradients + tensorGradients + networkGradients + lossGradients {
        try registry.setGradient(of: op, rule)
    }
}

/// A shape as a `shape:` attribute (`[N, 10]`).
func shapeAttribute(_ dims: [Dim]) -> StaticValue { .list(dims.map(staticDim)) }

/// Shorthands over a builder for emitting backward IR: arithmetic on tensors, scalar
/// constants of a tensor's dtype, and the broadcasting bookkeeping.
struct Emit {
    let b: GraphBuilder

    init(_ ctx: GradientContext) { b = ctx.builder }

    func op(_ name: String, _ xs: [Tensor], _ attrs: Attributes = [:]) throws -> Tensor { try b.op1(name, xs, attrs) }
    func add(_ x: Tensor, _ y: Tensor) throws -> Tensor { try op("add", [x, y]) }
    func sub(_ x: Tensor, _ y: Tensor) throws -> Tensor { try op("sub", [x, y]) }
    func mul(_ x: Tensor, _ y: Tensor) throws -> Tensor { try op("mul", [x, y]) }
    func div(_ x: Tensor, _ y: Tensor) throws -> Tensor { try op("div", [x, y]) }
    func neg(_ x: Tensor) throws -> Tensor { try op("neg", [x]) }
    /// A rank-0 constant of `like`'s dtype.
    func c(_ v: Double, _ like: Tensor) -> Tensor { b.constant(v, dtype: like.dtype) }
    /// x · k for a number k.
    func scale(_ x: Tensor, _ k: Double) throws -> Tensor { k == 1 ? x : try mul(x, c(k, x)) }
    /// A bool tensor as 0/1 of `like`'s dtype.
    func indicator(_ cond: Tensor, _ like: Tensor) throws -> Tensor { try op("cast", [cond], ["dtype": .dtype(like.dtype)]) }
    /// `where(cond, x, y)`.
    func select(_ cond: Tensor, _ x: Tensor, _ y: Tensor) throws -> Tensor { try op("where", [cond, x, y]) }
    func sum(_ x: Tensor, axes: [Int], keepdims: Bool) throws -> Tensor {
        try op("sum", [x], ["axes": .list(axes.map { .int($0) }), "keepdims": .bool(keepdims)])
    }
    func mean(_ x: Tensor, axes: [Int], keepdims: Bool) throws -> Tensor {
        try op("mean", [x], ["axes": .list(axes.map { .int($0) }), "keepdims": .bool(keepdims)])
    }
    /// Reshapes unless the shape is already `dims`.
    func reshape(_ x: Tensor, _ dims: [Dim]) throws -> Tensor {
        x.shape == dims ? x : try op("reshape", [x], ["shape": shapeAttribute(dims)])
    }
    /// Broadcasts unless the shape is already `dims`.
    func broadcast(_ x: Tensor, _ dims: [Dim]) throws -> Tensor {
        x.shape == dims ? x : try op("broadcast_to", [x], ["shape": shapeAttribute(dims)])
    }
    /// Zeros of a type.
    func zeros(_ t: TensorType) throws -> Tensor { try broadcast(b.constant(0, dtype: t.dtype), t.shape) }
    func slice(_ x: Tensor, axis: Int, start: Int, end: Int, step: Int = 1) throws -> Tensor {
        try op("slice", [x], ["axis": .int(axis), "start": .int(start), "end": .int(end), "step": .int(step)])
    }
    /// Pads one axis with zeros (pad works on trailing axes: the later ones get 0, 0).
    func pad(_ x: Tensor, axis: Int, before: Int, after: Int) throws -> Tensor {
        guard before > 0 || after > 0 else { return x }
        let pads = [before, after] + Array(repeating: 0, count: 2 * (x.rank - axis - 1))
        return try op("pad", [x], ["pads": .list(pads.map { .int($0) })])
    }

    /// The cotangent of a broadcasting operand: `g` summed over the axes along which `target`
    /// was broadcast (kept with size 1), then reshaped to `target` (leading axes dropped).
    func reduce(_ g: Tensor, to target: TensorType) throws -> Tensor {
        if g.shape == target.shape { return g }
        let offset = g.rank - target.rank
        var axes = Array(0..<max(offset, 0))
        for i in 0..<target.rank where target.shape[i] == .known(1) && g.shape[offset + i] != .known(1) {
            axes.append(offset + i)
        }
        let summed = axes.isEmpty ? g : try sum(g, axes: axes, keepdims: true)
        return try reshape(summed, target.shape)
    }

    /// The number of elements of `dims` as a rank-0 tensor of `like`'s dtype: a constant when
    /// every size is known, else summed from a broadcast 1 (symbols are only known at run time).
    func count(_ dims: [Dim], _ like: Tensor) throws -> Tensor {
        if let n = Shapes.knownProduct(dims) { return c(Double(n), like) }
        let known = dims.compactMap(\.value).reduce(1, *)
        let symbolic = dims.filter { $0.value == nil }
        let n = try sum(broadcast(c(1, like), symbolic), axes: [], keepdims: false)
        return known == 1 ? n : try scale(n, Double(known))
    }

    /// x / (number of elements of `dims`).
    func divide(_ x: Tensor, byCountOf dims: [Dim]) throws -> Tensor {
        if let n = Shapes.knownProduct(dims) { return try scale(x, 1 / Double(n)) }
        return try div(x, count(dims, x))
    }

    /// The cotangent `g` of a reduction over `axes` of a tensor of shape `shape` (without
    /// keepdims when `keepdims` is false), reshaped with the reduced axes kept as 1 (a scalar
    /// broadcasts as it is).
    func keepingDims(_ g: Tensor, shape: [Dim], axes: [Int], keepdims: Bool) throws -> Tensor {
        keepdims || g.rank == 0 ? g : try reshape(g, reducedShape(shape, axes: axes, keepdims: true))
    }
}

/// The operand types of a rule as the rule must return them.
typealias GradientTable = [(String, GradientRule)]
