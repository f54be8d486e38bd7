// Lowering of elementwise ops and the dispatch over every op.
//   unary:  ints [dtype, opCode, count], floats [alpha, beta]
//   binary: ints [dtype, opCode, rank, shape…, stridesA…, stridesB…] (collapsed; output contiguous)
//   select: ints [elemBytes, rank, shape…, stridesCond…, stridesA…, stridesB…]
//   cast:   ints [fromDtype, toDtype, count]
import DLCCore

/// C kernel codes of the unary ops (see elementwise.c).
let unaryCodes: [String: Int] = [
    "neg": 0, "abs": 1, "exp": 2, "log": 3, "sqrt": 4, "rsqrt": 5, "square": 6, "reciprocal": 7, "sin": 8,
    "cos": 9, "tanh": 10, "sigmoid": 11, "relu": 12, "gelu": 13, "softplus": 14, "sign": 15, "floor": 16,
    "ceil": 17, "round": 18, "logical_not": 19, "leaky_relu": 20, "elu": 21, "clip": 22,
]

/// C kernel codes of the binary ops and comparisons.
let binaryCodes: [String: Int] = [
    "add": 0, "sub": 1, "mul": 2, "div": 3, "pow": 4, "maximum": 5, "minimum": 6, "logical_and": 7, "logical_or": 8,
    "equal": 10, "not_equal": 11, "less": 12, "less_equal": 13, "greater": 14, "greater_equal": 15,
]

/// Ops that only reinterpret their operand's bytes.
let viewOps: Set<String> = ["reshape", "flatten", "squeeze", "expand_dims", "stop_gradient"]

extension Lowerer {
    mutating func lowerCompute(_ node: Node) throws {
        let op = node.op
        if viewOps.contains(op) || (op == "dropout" && !training) {
            try view(node.outputs[0], of: node.inputs[0])
        } else if let code = unaryCodes[op] {
            try lowerUnary(node, code: code)
        } else if let code = binaryCodes[op] {
            try lowerBinary(node, code: code)
        } else {
            switch op {
            case "where": try lowerWhere(node)
            case "fused_elementwise": try lowerFused(node)
            case "fused_elementwise_multi": try lowerFusedMulti(node)
            case "cast":
                let n = try shape(node.inputs[0]).reduce(1, *)
                try emit(.cast, node, ints: [dtype(node.inputs[0]).code, dtype(node.outputs[0]).code, n])
            case "matmul": try lowerMatMul(node)
            case "fused_matmul": try lowerFusedMatMul(node)
            case "batch_summed_matmul": try lowerBatchSummedMatMul(node)
            case "fused_convolution": try lowerFusedConvolution(node)
            case "convolution", "conv_transpose": try lowerConvolution(node)
            case "maxpool2d", "avgpool2d": try lowerPooling(node)
            case "convolution_backward_weight": try lowerConvolutionBackwardWeight(node)
            case "maxpool2d_backward", "avgpool2d_backward": try lowerPoolingBackward(node)
            default:
                if try lowerMovement(node) || lowerReduction(node) || lowerLossOrRandom(node) { return }
                throw node.fail("the CPU back end has no kernel for this op")
            }
        }
    }

    /// Rejects element types a kernel family does not implement.
    func require(_ node: Node, _ v: ValueID, _ allowed: Set<DType>) throws {
        guard allowed.contains(dtype(v)) else {
            let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            throw node.fail("element type \(dtype(v)) is not supported (the CPU kernel takes \(list))")
        }
    }

    mutating func lowerUnary(_ node: Node, code: Int) throws {
        let x = node.inputs[0], t = dtype(x)
        let floatOnly: Set<Int> = [2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 16, 17, 18, 20, 21]
        if t == .bool, code != 19 { try require(node, x, [.f32, .f64, .i32, .i64]) }
        if t.isInteger, floatOnly.contains(code) { try require(node, x, [.f32, .f64]) }
        var alpha = 0.0, beta = 0.0
        switch node.op {
        case "gelu": alpha = node.bool("approximate") ? 1 : 0
        case "leaky_relu", "elu": alpha = try node.double("alpha")
        case "clip": alpha = try node.double("min"); beta = try node.double("max")
        default: break
        }
        try emit(.unary, node, ints: [t.code, code, try shape(x).reduce(1, *)], floats: [alpha, beta])
    }

    mutating func lowerBinary(_ node: Node, code: Int) throws {
        let a = node.inputs[0], b = node.inputs[1], out = try shape(node.outputs[0])
        let (shp, st) = collapse(out, [broadcastStrides(try shape(a), to: out), broadcastStrides(try shape(b), to: out)])
        guard shp.count <= 8 else { throw node.fail("more than 8 broadcast dimensions") }
        if code == 4, dtype(a).isInteger { try require(node, a, [.f32, .f64]) }
        try emit(.binary, node, ints: [dtype(a).code, code, shp.count] + shp + st[0] + st[1])
    }

    mutating func lowerWhere(_ node: Node) throws {
        let out = try shape(node.outputs[0])
        let strides = try node.inputs.map { broadcastStrides(try shape($0), to: out) }
        let (shp, st) = collapse(out, strides)
        guard shp.count <= 8 else { throw node.fail("more than 8 broadcast dimensions") }
        try emit(.select, node, ints: [dtype(node.outputs[0]).byteSize, shp.count] + shp + st[0] + st[1] + st[2])
    }
}
