// The reference kernels of `fused_elementwise` and `fused_elementwise_multi`: run the group's
// instructions one by one with the reference kernels of their ops (so the fused node means
// exactly what the group meant), then broadcast each result to the node's result shape; the
// multi node does that once per segment.
import DLCCore

func registerFusedKernels(_ k: ReferenceKernels) {
    k.register("fused_elementwise") { ctx in
        let program = try FusedProgram(attributes: ctx.arguments.statics)
        guard case .dtype(let d)? = ctx.arguments.statics["dtype"] else { throw DLCError("fused_elementwise needs a dtype") }
        return try runFusedProgram(program, dtype: d, inputs: ctx.inputs, outputShapes: ctx.outputShapes,
                                   outputTypes: ctx.outputTypes, ctx)
    }
    // One program per segment: segment s reads its own operands and writes its own results.
    k.register("fused_elementwise_multi") { ctx in
        let layout = try FusedMultiLayout(ctx.arguments.statics, operands: ctx.inputs.count)
        let per = layout.operandsPerSegment, r = layout.program.results.count
        guard ctx.outputShapes.count == layout.shapes.count * r else {
            throw DLCError("fused_elementwise_multi: \(ctx.outputShapes.count) results for \(layout.shapes.count) segments of \(r)")
        }
        var results: [HostTensor] = []
        for s in layout.shapes.indices {
            results += try runFusedProgram(layout.program, dtype: layout.dtype, inputs: Array(ctx.inputs[(s * per)..<((s + 1) * per)]),
                                           outputShapes: Array(ctx.outputShapes[(s * r)..<((s + 1) * r)]),
                                           outputTypes: Array(ctx.outputTypes[(s * r)..<((s + 1) * r)]), ctx)
        }
        return results
    }
}

/// Runs a fused program's instructions one by one with the reference kernels of their ops,
/// then broadcasts each result to its shape.
private func runFusedProgram(_ program: FusedProgram, dtype d: DType, inputs: [HostTensor], outputShapes: [[Int]],
                             outputTypes: [DType], _ ctx: ReferenceKernelContext) throws -> [HostTensor] {
    var temps: [HostTensor] = []
    for (i, ins) in program.instructions.enumerated() {
        let boolOperand = { (j: Int) in
            ins.op.hasPrefix("logical_") || (ins.op == "where" && j == 0)
        }
        let operands: [HostTensor] = try ins.operands.enumerated().map { j, o in
            switch o {
            case .input(let k):
                guard k < inputs.count else { throw DLCError("instruction \(i) reads operand \(k) of \(inputs.count)") }
                return inputs[k]
            case .temp(let k): return temps[k]
            case .constant(let c): return HostTensor.from([c], shape: [], dtype: boolOperand(j) ? .bool : d)
            }
        }
        var shape: [Int] = []
        for o in operands {
            guard let s = broadcastShapes(shape, o.shape) else { throw DLCError("instruction \(i): operands do not broadcast") }
            shape = s
        }
        guard let kernel = ReferenceKernels.standard.kernel(for: ins.op) else {
            throw DLCError("instruction \(i): no reference kernel for '\(ins.op)'")
        }
        let sub = ReferenceKernelContext(inputs: operands, arguments: Arguments(statics: ins.attributes),
                                         outputShapes: [shape], outputTypes: [ins.dtype], rng: ctx.rng, training: ctx.training)
        temps.append(try kernel(sub)[0])
    }
    return program.results.enumerated().map { r, k in
        let t = temps[k], shape = outputShapes[r]
        if t.shape == shape { return t.converted(to: outputTypes[r]) }
        let values = t.doubles, index = broadcastIndices(from: t.shape, to: shape)
        return HostTensor.from(index.map { values[$0] }, shape: shape, dtype: outputTypes[r])
    }
}

/// Runs the reference kernel of `op` on `inputs` for a fused node's result (of the node's shape, or `shape`
/// for an intermediate one).
private func applyKernel(_ op: String, _ inputs: [HostTensor], _ attributes: Attributes = [:], _ ctx: ReferenceKernelContext,
                         fused: String, shape: [Int]? = nil) throws -> HostTensor {
    guard let kernel = ReferenceKernels.standard.kernel(for: op) else { throw DLCError("\(fused): no reference kernel for '\(op)'") }
    let sub = ReferenceKernelContext(inputs: inputs, arguments: Arguments(statics: attributes), outputShapes: [shape ?? ctx.outputShapes[0]],
                                     outputTypes: [ctx.outputTypes[0]], rng: ctx.rng, training: ctx.training)
    return try kernel(sub)[0]
}

/// Each step of an epilogue applied to `y` by the kernel of its op (`add`, `mul`, the activation), in order.
private func applyEpilogue(_ epilogue: Epilogue, to y: HostTensor, _ ctx: ReferenceKernelContext, fused: String) throws -> HostTensor {
    var y = y
    for step in epilogue.steps {
        switch step {
        case .add(let i): y = try applyKernel("add", [y, ctx.inputs[i]], [:], ctx, fused: fused)
        case .scale(let c): y = try applyKernel("mul", [y, HostTensor.from([c], shape: [], dtype: ctx.outputTypes[0])], [:], ctx, fused: fused)
        case .reluMask(let i):
            // As the ReLU's gradient is written: y · cast(greater(operand, 0)).
            let positive = try applyKernel("greater", [ctx.inputs[i], HostTensor.from([0], shape: [], dtype: ctx.outputTypes[0])], [:], ctx, fused: fused)
            y = try applyKernel("mul", [y, try applyKernel("cast", [positive], ["dtype": .dtype(ctx.outputTypes[0])], ctx, fused: fused)], [:], ctx, fused: fused)
        case .activation(let op, let alpha):
            switch op {
            case "gelu": y = try applyKernel(op, [y], ["approximate": .bool(alpha != 0)], ctx, fused: fused)
            case "leaky_relu", "elu": y = try applyKernel(op, [y], ["alpha": .float(alpha)], ctx, fused: fused)
            default: y = try applyKernel(op, [y], [:], ctx, fused: fused)
            }
        }
    }
    return y
}

/// The reference kernel of `fused_matmul`: the product by the `matmul` kernel, then the epilogue.
func registerFusedMatMulKernel(_ k: ReferenceKernels) {
    k.register("fused_matmul") { ctx in
        let epilogue = try Epilogue(attribute: ctx.arguments.statics["epilogue"], operands: ctx.inputs.count)
        let statics = ctx.arguments.statics
        let y = try applyKernel("matmul", Array(ctx.inputs.prefix(2)), ["transpose_a": statics["transpose_a"] ?? .bool(false),
                                                                       "transpose_b": statics["transpose_b"] ?? .bool(false)],
                                ctx, fused: "fused_matmul")
        return [try applyEpilogue(epilogue, to: y, ctx, fused: "fused_matmul")]
    }
}

/// The reference kernel of `fused_convolution`: the `convolution` kernel
/// with the node's window attributes and bias, then the epilogue.
func registerFusedConvolutionKernel(_ k: ReferenceKernels) {
    k.register("fused_convolution") { ctx in
        let op = "fused_convolution", statics = ctx.arguments.statics
        let hasBias = statics["bias"]?.boolValue == true
        let first = hasBias ? 3 : 2
        guard ctx.inputs.count >= first else { throw DLCError("\(op) needs x, the weight\(hasBias ? " and the bias" : "")") }
        let epilogue = try Epilogue(attribute: statics["epilogue"], operands: ctx.inputs.count, firstOperand: first, op: op)
        var window: Attributes = [:]
        for key in ["stride", "padding", "dilation", "groups"] { window[key] = statics[key] }
        let y = try applyKernel("convolution", Array(ctx.inputs.prefix(first)), window, ctx, fused: op)
        return [try applyEpilogue(epilogue, to: y, ctx, fused: op)]
    }
}

/// The reference kernel of `batch_summed_matmul`: the batched product by the `matmul` kernel
/// (a transposed), then the `sum` kernel over the batch dimensions.
func registerBatchSummedMatMulKernel(_ k: ReferenceKernels) {
    k.register("batch_summed_matmul") { ctx in
        let a = ctx.inputs[0], b = ctx.inputs[1], rank = a.shape.count, op = "batch_summed_matmul"
        let products = try applyKernel("matmul", [a, b], ["transpose_a": .bool(true), "transpose_b": .bool(false)], ctx, fused: op,
                                       shape: Array(a.shape.dropLast(2)) + [a.shape[rank - 1], b.shape[rank - 1]])
        let axes = StaticValue.list((0..<(rank - 2)).map { .int($0) })
        return [try applyKernel("sum", [products], ["axes": axes, "keepdims": ctx.arguments.statics["keepdims"] ?? .bool(false)],
                                ctx, fused: op)]
    }
}
