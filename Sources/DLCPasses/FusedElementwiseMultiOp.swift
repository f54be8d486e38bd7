import DLCCore

/// The `fused_elementwise_multi` op (made by the `fuse-horizontal` pass): one elementwise
/// program run over several independent segments, e.g. the same optimizer update over every
/// parameter. Segment s has the shape `shapes[s]`; its operands are `xs[s·k ..< (s+1)·k]`
/// (k = operands per segment, the same for all), each of the segment's shape or a scalar
/// (rank 0: a learning rate, a clipping scale, a bias correction — repeated in every segment
/// that reads it); its results are outputs `s·r ..< (s+1)·r` (r = the program's results).
/// The attributes `program`, `results` and `dtype` mean what they mean for
/// `fused_elementwise`. Not differentiable (fusion runs after autodiff).
public let fusedElementwiseMultiOp = OpSpec(
    "fused_elementwise_multi", family: .elementwise,
    signature: Signature([ArgSpec("xs", .tensors),
                          ArgSpec("program", .value, doc: "the instructions (see FusedProgram)"),
                          ArgSpec("results", .value, doc: "the instructions whose values are each segment's results"),
                          ArgSpec("dtype", .dtype, doc: "the element type of operands and results"),
                          ArgSpec("shapes", .value, doc: "the shape of each segment")]),
    summary: "One elementwise program over several segments in one kernel (made by the fuse-horizontal pass).",
    differentiable: false,
    flops: { args, outs in
        let results = max(1, args.statics["results"]?.listValue?.count ?? 1)
        let elements = outs.reduce(0) { $0 + $1.elementCount() } / results
        return elements * (args.statics["program"]?.listValue?.count ?? 1)
    },
    infer: { args in
        let layout = try FusedMultiLayout(args.statics, operands: args.tensorList("xs").count)
        let xs = args.tensorList("xs")
        var types: [TensorType] = []
        for (s, shape) in layout.shapes.enumerated() {
            let segment = TensorType(layout.dtype, shape)
            for k in 0..<layout.operandsPerSegment {
                let x = xs[s * layout.operandsPerSegment + k]
                guard x.type.dtype == layout.dtype, x.type.shape == shape || x.type.rank == 0 else {
                    throw DLCError("fused_elementwise_multi: operand \(k) of segment \(s) is \(x.type); it must be \(segment) or a \(layout.dtype) scalar")
                }
            }
            types += layout.program.results.map { _ in segment }
        }
        return types
    })
