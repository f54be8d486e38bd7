// The `dense` layer (PyTorch's Linear) and `embedding`.
import DLCCore

/// `dense(x, units)`: y = x·weightᵀ + bias over the last dimension of x.
/// Parameters: `weight` [units, in], `bias` [units].
private func expandDense(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let x = try args.tensor("x")
    let units = try args.positiveInt("units")
    try requireFloatInput(x, layer: "dense")
    guard let features = x.shape.last?.value else {
        let found = x.rank == 0 ? "the scalar \(x.type)" : "\(x.type) whose last dimension is \(x.shape.last!)"
        throw DLCError("'dense' needs a tensor whose last dimension (the input features) is known, found \(found)", operands: [0])
    }
    let useBias = try args.bool("bias")
    let wInit = try initializer(args, "weight_init", layer: "dense")
    let bInit = try biasInitializer(args, layer: "dense", fanIn: features)
    let w = try b.param("weight", shape: [units, features], dtype: x.dtype, initializer: wInit)
    var y = try b.op1("matmul", [x, w], ["transpose_b": .bool(true)])
    if useBias {
        let bias = try b.param("bias", shape: [units], dtype: x.dtype, initializer: bInit)
        y = try b.op1("add", [y, bias])
    }
    return [y]
}

/// `embedding(indices, vocab, dim)`: rows of `weight` [vocab, dim] picked by integer indices.
private func expandEmbedding(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let indices = try args.tensor("indices")
    let vocab = try args.positiveInt("vocab"), dim = try args.positiveInt("dim")
    guard indices.dtype.isInteger else {
        throw DLCError("'embedding' needs integer indices, found \(indices.type); convert them with cast()", operands: [0])
    }
    let w = try b.param("weight", shape: [vocab, dim], initializer: try initializer(args, "weight_init", layer: "embedding"))
    return [try b.op1("gather", [w, indices], ["axis": .int(0)])]
}

func registerDenseLayers(_ registry: Registry) throws {
    try registry.register(LayerSpec("dense",
        signature: Signature([.operand("x", "[..., in]"), .attr("units", .int, nil, "output features"),
                              .attr("bias", .bool, .bool(true), "add a learned bias")] + initArgs),
        summary: "Fully connected layer: x·weightᵀ + bias (weight [units, in], bias [units]).",
        createsParameters: true, expand: expandDense))
    try registry.register(LayerSpec("embedding",
        signature: Signature([.operand("indices", "integer token ids"), .attr("vocab", .int, nil, "number of rows"),
                              .attr("dim", .int, nil, "size of each embedding"),
                              .attr("weight_init", .value, .list([.symbol("normal"), .float(0), .float(1)]), "initializer of the table")]),
        summary: "Lookup table: rows of weight [vocab, dim] by index.",
        createsParameters: true, expand: expandEmbedding))
}
