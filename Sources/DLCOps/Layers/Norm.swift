// Normalization layers: `batchnorm` (PyTorch's BatchNorm1d/2d) and `layernorm`.
import DLCCore

/// `batchnorm(x)`: weight (ones), bias (zeros), running_mean (zeros) and running_var (ones),
/// all [C]; the running statistics are not trainable.
private func expandBatchNorm(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let x = try args.tensor("x")
    guard x.rank == 2 || x.rank == 4 else {
        throw DLCError("'batchnorm' expects a tensor of rank 2 [N, C] or 4 [N, C, H, W], found \(x.type)", operands: [0])
    }
    try requireFloatInput(x, layer: "batchnorm")
    let c = try Check.known(x.type, 1, operand: 0, op: "batchnorm", what: "channel count")
    try checkEps(args, layer: "batchnorm")
    let m = try args.double("momentum")
    guard m >= 0, m <= 1 else {
        throw DLCError("argument 'momentum' of 'batchnorm' must be between 0 and 1, found \(StaticValue.format(m))", argument: "momentum")
    }
    let weight = try b.param("weight", shape: [c], dtype: x.dtype, initializer: .ones)
    let bias = try b.param("bias", shape: [c], dtype: x.dtype, initializer: .zeros)
    let mean = try b.param("running_mean", shape: [c], dtype: x.dtype, initializer: .zeros, trainable: false)
    let variance = try b.param("running_var", shape: [c], dtype: x.dtype, initializer: .ones, trainable: false)
    return try b.op("batch_norm", [x, weight, bias, mean, variance],
                    ["eps": .float(try args.double("eps")), "momentum": .float(m)])
}

/// `layernorm(x)`: weight (ones) and bias (zeros) over the last dimension, which must be known.
private func expandLayerNorm(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let x = try args.tensor("x")
    try requireFloatInput(x, layer: "layernorm")
    guard let d = x.shape.last?.value else {
        throw DLCError("'layernorm' needs a tensor whose last dimension is known, found \(x.type)", operands: [0])
    }
    try checkEps(args, layer: "layernorm")
    let weight = try b.param("weight", shape: [d], dtype: x.dtype, initializer: .ones)
    let bias = try b.param("bias", shape: [d], dtype: x.dtype, initializer: .zeros)
    return try b.op("layer_norm", [x, weight, bias], ["axes": .int(1), "eps": .float(try args.double("eps"))])
}

private func checkEps(_ args: Arguments, layer: String) throws {
    let eps = try args.double("eps")
    guard eps > 0 else { throw DLCError("argument 'eps' of '\(layer)' must be positive, found \(StaticValue.format(eps))", argument: "eps") }
}

func registerNormLayers(_ registry: Registry) throws {
    try registry.register(LayerSpec("batchnorm",
        signature: Signature([.operand("x", "[N, C] or [N, C, H, W]"), .attr("eps", .float, .float(1e-5)),
                              .attr("momentum", .float, .float(0.1))]),
        summary: "Batch normalization with learned scale and shift and running statistics over channel dimension 1.",
        createsParameters: true, expand: expandBatchNorm))
    try registry.register(LayerSpec("layernorm",
        signature: Signature([.operand("x"), .attr("eps", .float, .float(1e-5))]),
        summary: "Layer normalization over the last dimension with learned scale and shift.",
        createsParameters: true, expand: expandLayerNorm))
}
