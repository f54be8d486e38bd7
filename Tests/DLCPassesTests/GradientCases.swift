// The gradient-check cases: every differentiable built-in op over several shapes, with
// broadcasting, symbolic batch dimensions, and the attribute variants that change the rule.
import DLCCore
import DLCOps

private var seedCounter: UInt64 = 1
/// Fresh deterministic values for each operand.
private func u(_ shape: [Int], _ lo: Double = -1, _ hi: Double = 1) -> HostTensor {
    seedCounter += 1
    return uniform(shape, lo, hi, seed: seedCounter)
}
private func ints(_ xs: [Int]) -> StaticValue { .list(xs.map { .int($0) }) }
private func labels(_ values: [Int64], _ dtype: DType = .i64) -> HostTensor {
    dtype == .i64 ? HostTensor(shape: [values.count], storage: .i64(values))
        : HostTensor(shape: [values.count], storage: .i32(values.map(Int32.init)))
}
private func f64(_ dims: [Dim]) -> TensorType { TensorType(.f64, dims) }
private let N = Dim.symbol("N")

let gradientCases: [GradCase] = {
    var cases: [GradCase] = []
    // Unary elementwise ops and activations, on values where each is smooth.
    let positive = ["log", "sqrt", "rsqrt", "reciprocal"]
    for op in ["neg", "abs", "exp", "square", "sin", "cos", "tanh", "sigmoid", "relu", "softplus"] + positive {
        let (lo, hi) = positive.contains(op) ? (0.3, 2.0) : (-1.5, 1.5)
        cases.append(GradCase(op, [u([2, 3], lo, hi)]))
        cases.append(GradCase(op, [u([5], lo, hi)]))
    }
    for approximate in [false, true] { cases.append(GradCase("gelu", [u([2, 4], -2, 2)], ["approximate": .bool(approximate)])) }
    cases.append(GradCase("leaky_relu", [u([3, 4])], ["alpha": .float(0.1)]))
    cases.append(GradCase("elu", [u([3, 4])], ["alpha": .float(0.7)]))
    cases.append(GradCase("clip", [u([4, 4])], ["min": .float(-0.5), "max": .float(0.4)]))
    // Binary ops, with broadcasting both ways, scalars and symbolic batches.
    let shapePairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([4, 1, 3], [2, 1]), ([], [2, 3]), ([2, 1], [1, 3])]
    for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] {
        for (sa, sb) in shapePairs {
            let a = op == "pow" ? u(sa, 0.5, 2) : u(sa), b = op == "div" ? u(sb, 0.5, 2) : u(sb)
            cases.append(GradCase(op, [a, b]))
        }
        cases.append(GradCase(op, [op == "pow" ? u([3, 2], 0.5, 2) : u([3, 2]), op == "div" ? u([2], 0.5, 2) : u([2])],
                              types: [f64([N, 2]), f64([2])], label: "symbolic"))
    }
    // matmul: matrices, vectors, transposes, broadcast batches.
    let mm: [([Int], [Int], Bool, Bool)] = [
        ([3, 4], [4, 5], false, false), ([4], [4, 5], false, false), ([3, 4], [4], false, false), ([4], [4], false, false),
        ([2, 3, 4], [4, 5], false, false), ([2, 1, 3, 4], [3, 4, 2], false, false), ([4, 3], [4, 5], true, false),
        ([3, 4], [5, 4], false, true), ([2, 4, 3], [5, 4], true, true), ([4, 3], [2, 4, 5], true, false), ([4], [2, 5, 4], false, true),
    ]
    for (sa, sb, ta, tb) in mm {
        cases.append(GradCase("matmul", [u(sa), u(sb)], ["transpose_a": .bool(ta), "transpose_b": .bool(tb)]))
    }
    cases.append(GradCase("matmul", [u([3, 4]), u([4, 2])], types: [f64([N, 4]), f64([4, 2])], label: "symbolic"))
    // Reductions.
    for op in ["sum", "mean", "max", "min", "prod"] {
        for (axes, keep) in [(StaticValue.list([]), false), (.int(1), false), (ints([0, 2]), true), (.int(-1), true)] {
            cases.append(GradCase(op, [u([2, 3, 4], 0.5, 1.5)], ["axes": axes, "keepdims": .bool(keep)]))
        }
    }
    cases.append(GradCase("mean", [u([3, 4])], ["axes": .int(0)], types: [f64([N, 4])], label: "symbolic"))
    cases.append(GradCase("mean", [u([3, 4])], types: [f64([N, 4])], label: "symbolic, all axes"))
    let withZero = HostTensor(shape: [2, 3], f64: [0.5, 0, 2, 0, 0, 1.5])
    cases.append(GradCase("prod", [withZero], ["axes": .int(1)], label: "one and two zeros"))
    cases.append(GradCase("prod", [withZero], label: "zeros, all axes"))
    // Shape ops.
    cases.append(GradCase("reshape", [u([2, 6])], ["shape": ints([3, 4])]))
    cases.append(GradCase("reshape", [u([3, 4])], ["shape": .list([.symbol("N"), .int(2), .int(2)])], types: [f64([N, 4])]))
    cases.append(GradCase("transpose", [u([2, 3, 4])]))
    cases.append(GradCase("transpose", [u([2, 3, 4])], ["perm": ints([1, 2, 0])]))
    cases.append(GradCase("broadcast_to", [u([3])], ["shape": ints([2, 3])]))
    cases.append(GradCase("broadcast_to", [u([2, 1])], ["shape": ints([3, 2, 4])]))
    cases.append(GradCase("expand_dims", [u([2, 3])], ["axis": .int(1)]))
    cases.append(GradCase("squeeze", [u([2, 1, 3, 1])]))
    cases.append(GradCase("squeeze", [u([2, 1, 3, 1])], ["axes": .int(1)]))
    cases.append(GradCase("flatten", [u([2, 3, 2, 2])]))
    cases.append(GradCase("flatten", [u([2, 3, 2, 2])], ["start_axis": .int(2)]))
    // Joining.
    cases.append(GradCase("concat", [u([2, 3]), u([2, 1]), u([2, 2])], ["axis": .int(1)]))
    cases.append(GradCase("concat", [u([2, 3])]))
    cases.append(GradCase("stack", [u([2, 3]), u([2, 3])]))
    cases.append(GradCase("stack", [u([2, 3]), u([2, 3]), u([2, 3])], ["axis": .int(2)]))
    cases.append(GradCase("split", [u([4, 3])], ["sections": .int(2)]))
    cases.append(GradCase("split", [u([2, 5])], ["sections": ints([1, 3, 1]), "axis": .int(1)]))
    // Indexing.
    for (start, end, step) in [(1, 4, 1), (0, 7, 2), (1, 6, 3), (5, 0, -1), (-1, -8, -2), (6, 1, -3), (2, 3, 1)] {
        cases.append(GradCase("slice", [u([2, 7])], ["axis": .int(1), "start": .int(start), "end": .int(end), "step": .int(step)]))
    }
    cases.append(GradCase("slice", [u([5, 2])], ["axis": .int(0), "start": .int(1), "end": .int(5), "step": .int(2)]))
    cases.append(GradCase("gather", [u([5, 3]), labels([4, 0, 4, -1, 2])]))
    cases.append(GradCase("gather", [u([2, 4, 3]), HostTensor(shape: [2, 2], storage: .i32([3, 1, 1, 0]))], ["axis": .int(1)]))
    let cond = HostTensor(shape: [2, 3], storage: .bool([true, false, true, false, false, true]))
    cases.append(GradCase("where", [cond, u([2, 3]), u([2, 3])]))
    cases.append(GradCase("where", [cond, u([3]), u([2, 1])]))
    cases.append(GradCase("pad", [u([2, 3])], ["pads": ints([1, 2])]))
    cases.append(GradCase("pad", [u([2, 3, 2])], ["pads": ints([0, 1, 2, 0]), "value": .float(0.5)]))
    cases.append(GradCase("cast", [u([2, 3])], ["dtype": .dtype(.f64)]))
    // Convolution: padding, stride (with the rows the last window misses), dilation, groups, same.
    let convs: [([Int], [Int], Attributes, Bool)] = [
        ([2, 3, 5, 5], [4, 3, 3, 3], ["padding": .int(1)], true),
        ([1, 2, 6, 6], [3, 2, 3, 3], ["stride": .int(2)], true),
        ([1, 2, 7, 6], [2, 2, 2, 3], ["stride": ints([2, 3]), "padding": ints([0, 1, 2, 0])], false),
        ([1, 2, 7, 7], [2, 2, 3, 3], ["dilation": .int(2), "padding": .int(1)], true),
        ([2, 4, 4, 4], [6, 2, 3, 3], ["groups": .int(2), "padding": .int(1)], true),
        ([1, 3, 5, 6], [2, 3, 3, 3], ["padding": .symbol("same"), "stride": .int(2)], false),
        ([1, 2, 8, 8], [2, 1, 3, 2], ["groups": .int(2), "stride": .int(3), "dilation": ints([2, 1])], false),
    ]
    for (sx, sw, attrs, bias) in convs {
        cases.append(GradCase("convolution", [u(sx), u(sw)] + (bias ? [u([sw[0]])] : []), attrs))
    }
    let transposed: [([Int], [Int], Attributes, Bool)] = [
        ([1, 3, 3, 3], [3, 2, 3, 3], ["stride": .int(2), "output_padding": .int(1), "padding": .int(1)], true),
        ([2, 4, 3, 3], [4, 1, 2, 2], ["groups": .int(2), "stride": .int(2)], true),
        ([1, 2, 4, 4], [2, 2, 3, 3], ["dilation": .int(2), "output_padding": .int(1)], false),
        ([1, 2, 3, 4], [2, 3, 2, 3], ["padding": ints([1, 0, 0, 1]), "stride": ints([1, 2])], false),
    ]
    for (sx, sw, attrs, bias) in transposed {
        cases.append(GradCase("conv_transpose", [u(sx), u(sw)] + (bias ? [u([sw[1] * ((attrs["groups"]?.intValue) ?? 1)])] : []), attrs))
    }
    // Pooling.
    for op in ["maxpool2d", "avgpool2d"] {
        cases.append(GradCase(op, [u([2, 2, 4, 4])], ["kernel": .int(2)]))
        cases.append(GradCase(op, [u([1, 2, 5, 5])], ["kernel": .int(3), "stride": .int(2), "padding": .int(1)]))
        cases.append(GradCase(op, [u([1, 2, 5, 6])], ["kernel": ints([2, 3]), "stride": .int(2), "ceil_mode": .bool(true)]))
        cases.append(GradCase(op, [u([1, 1, 6, 6])], ["kernel": .int(3), "stride": .int(2), "padding": .int(1), "ceil_mode": .bool(true)]))
    }
    cases.append(GradCase("global_avgpool", [u([2, 3, 3, 2])]))
    cases.append(GradCase("global_avgpool", [u([2, 3, 3, 2])], types: [f64([N, 3, 3, 2])]))
    // batch_norm_training (the training step's batch norm): every result, statistics included.
    cases.append(GradCase("batch_norm_training", [u([4, 3]), u([3]), u([3])]))
    cases.append(GradCase("batch_norm_training", [u([2, 3, 2, 2]), u([3]), u([3])], ["eps": .float(1e-3)]))
    // Normalization (batch_norm in training mode: batch statistics).
    cases.append(GradCase("batch_norm", [u([4, 3]), u([3]), u([3]), u([3]), u([3], 0.5, 1)]))
    cases.append(GradCase("batch_norm", [u([2, 3, 2, 2]), u([3]), u([3]), u([3]), u([3], 0.5, 1)], ["eps": .float(1e-3)]))
    cases.append(GradCase("batch_norm", [u([3, 2]), u([2]), u([2]), u([2]), u([2], 0.5, 1)],
                          types: [f64([N, 2]), f64([2]), f64([2]), f64([2]), f64([2])], label: "symbolic"))
    cases.append(GradCase("layer_norm", [u([3, 4]), u([4]), u([4])]))
    cases.append(GradCase("layer_norm", [u([2, 3, 4])], ["axes": .int(2)]))
    cases.append(GradCase("layer_norm", [u([2, 3, 4]), u([3, 4]), u([3, 4])], ["axes": .int(2), "eps": .float(1e-2)]))
    for op in ["softmax", "log_softmax"] {
        cases.append(GradCase(op, [u([3, 4], -2, 2)]))
        cases.append(GradCase(op, [u([3, 4, 2], -2, 2)], ["axis": .int(1)]))
        cases.append(GradCase(op, [u([5], -2, 2)]))
    }
    cases.append(GradCase("local_response_norm", [u([2, 5, 2, 2])], ["size": .int(3), "alpha": .float(0.5), "k": .float(2)]))
    cases.append(GradCase("local_response_norm", [u([1, 6, 3])], ["size": .int(4), "alpha": .float(0.3), "beta": .float(0.6)]))
    cases.append(GradCase("local_response_norm", [u([1, 3, 2, 2])], ["size": .int(1)]))
    // Losses.
    cases.append(GradCase("mse", [u([3, 4]), u([3, 4])]))
    cases.append(GradCase("mse", [u([3, 4]), u([3, 4])], types: [f64([N, 4]), f64([N, 4])], label: "symbolic"))
    cases.append(GradCase("mae", [u([3, 4]), u([3, 4])]))
    cases.append(GradCase("binary_cross_entropy", [u([3, 4], 0.1, 0.9), u([3, 4], 0, 1)]))
    cases.append(GradCase("bce_with_logits", [u([3, 4], -3, 3), u([3, 4], 0, 1)]))
    cases.append(GradCase("kl_div", [u([3, 4], -3, -0.1), u([3, 4], 0.05, 1)]))
    cases.append(GradCase("gaussian_kl", [u([3, 4]), u([3, 4])]))
    cases.append(GradCase("gaussian_kl", [u([3, 4]), u([3, 4])], types: [f64([N, 4]), f64([N, 4])], label: "symbolic"))
    cases.append(GradCase("cross_entropy", [u([4, 5], -2, 2), labels([1, 0, 4, 2])]))
    cases.append(GradCase("cross_entropy", [u([3, 3], -2, 2), labels([2, 2, 0], .i32)]))
    cases.append(GradCase("cross_entropy", [u([4, 5], -2, 2), u([4, 5], 0, 1)], label: "probabilities"))
    cases.append(GradCase("cross_entropy", [u([4, 5], -2, 2), labels([1, 0, 4, 2])], types: [f64([N, 5]), TensorType(.i64, [N])],
                          label: "symbolic"))
    cases.append(GradCase("nll_loss", [u([4, 5], -3, -0.1), labels([1, 0, 4, 2])]))
    cases.append(GradCase("nll_loss", [u([3, 3], -3, -0.1), labels([2, 2, 0], .i32)]))
    cases.append(GradCase("l1_penalty", [u([3, 4])]))
    cases.append(GradCase("l2_penalty", [u([3, 4])]))
    // Dropout: the layer (dropout_mask · x); the mask is the same draw in every run (seeded per node).
    cases.append(GradCase("dropout", [u([4, 5])], ["rate": .float(0.4)], layer: true))
    return cases
}()

/// The ops a layer case stands for (the layer's differentiable ops are covered by their own cases).
let coveredOps: Set<String> = Set(gradientCases.filter { !$0.layer }.map(\.op))

extension Dim: @retroactive ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .known(value) }
}
