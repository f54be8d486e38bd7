// Lowering of reductions, normalizations, losses and random ops.
//   reduce:       ints [dtype, opCode, keptRank, keptShape…, keptStrides…, redRank, redShape…, redStrides…]
//   argReduce:    ints [dtype, isMax, outer, n, inner]
//   softmax:      ints [dtype, isLog, outer, n, inner]
//   layerNorm:    ints [dtype, rows, n, hasWeight, hasBias], floats [eps]
//   batchNorm:    ints [dtype, useBatchStatistics, N, C, H·W], floats [eps]
//   batchNormInference (f32, oneDNN), batchNormTraining, batchNormBackward (f32, BatchNormBinding.swift):
//                 ints [N, C, H·W], floats [eps]
//   lrn:          ints [dtype, N, C, S, size], floats [alpha, beta, k]
//   meanRows:     ints [dtype, rows, rowLength]
//   crossEntropy: ints [dtype, labelDtype, N, C, fromLogProbabilities] (1: nll_loss, the operand is log-probabilities)
//   pairLoss:     ints [dtype, opCode, count, rows]
//   penalty:      ints [dtype, opCode, count]
//   random:       ints [dtype, kind, count], floats [p0, p1]; kind 0 uniform, 1 normal, 2 bernoulli, 3 dropout, 4 dropout mask
//   geluBackward: ints [dtype, approximate, count]
//   scatterAdd:   ints [dtype, outer, axisLen, inner, indexDtype, indexCount]
import DLCCore

let reductionCodes: [String: Int] = ["sum": 0, "mean": 1, "max": 2, "min": 3, "prod": 4]
let pairLossCodes: [String: Int] = ["mse": 0, "mae": 1, "binary_cross_entropy": 2, "bce_with_logits": 3, "kl_div": 4,
                                    "gaussian_kl": 5]

extension Lowerer {
    /// [outer, n, inner] around `axis`.
    func split3(_ s: [Int], _ axis: Int) -> [Int] {
        [s[..<axis].reduce(1, *), s[axis], s[(axis + 1)...].reduce(1, *)]
    }

    /// Returns false if the op is not a reduction or normalization.
    mutating func lowerReduction(_ node: Node) throws -> Bool {
        guard let x = node.inputs.first else { return false }  // random_uniform / random_normal have no operand
        let xs = try shape(x), t = dtype(x)
        let floats: Set<DType> = [.f32, .f64]
        if let code = reductionCodes[node.op] {
            try require(node, x, [.f32, .f64, .i32, .i64])
            let axes = try node.axes("axes", rank: xs.count), s = contiguousStrides(xs)
            let kept = xs.indices.filter { !axes.contains($0) }
            let (ks, kst) = collapse(kept.map { xs[$0] }, [kept.map { s[$0] }])
            let (rs, rst) = collapse(axes.map { xs[$0] }, [axes.map { s[$0] }])
            guard ks.count <= 8, rs.count <= 8 else { throw node.fail("more than 8 dimensions") }
            try emit(.reduce, node, ints: [t.code, code, ks.count] + ks + kst[0] + [rs.count] + rs + rst[0])
            return true
        }
        switch node.op {
        case "argmax", "argmin":
            try require(node, x, [.f32, .f64, .i32, .i64])
            try emit(.argReduce, node, ints: [t.code, node.op == "argmax" ? 1 : 0] + split3(xs, try node.axis("axis", rank: xs.count)))
        case "softmax", "log_softmax":
            try require(node, x, floats)
            try emit(.softmax, node, ints: [t.code, node.op == "log_softmax" ? 1 : 0] + split3(xs, try node.axis("axis", rank: xs.count)))
        case "layer_norm":
            try require(node, x, floats)
            let k = try node.int("axes"), n = xs.suffix(k).reduce(1, *)
            let hasW = node.inputs.count >= 2 ? 1 : 0, hasB = node.inputs.count >= 3 ? 1 : 0
            try emit(.layerNorm, node, ints: [t.code, xs.reduce(1, *) / max(n, 1), n, hasW, hasB], floats: [try node.double("eps")])
        case "batch_norm" where !training && t == .f32:
            try emit(.batchNormInference, node, ints: [xs[0], xs[1], xs.dropFirst(2).reduce(1, *)], floats: [try node.double("eps")])
        case "batch_norm":
            try require(node, x, floats)
            try emit(.batchNorm, node, ints: [t.code, training ? 1 : 0, xs[0], xs[1], xs.dropFirst(2).reduce(1, *)],
                     floats: [try node.double("eps")])
        case "batch_norm_training", "batch_norm_backward":
            try require(node, x, [.f32])  // the training kernels are f32
            try emit(node.op == "batch_norm_training" ? .batchNormTraining : .batchNormBackward, node,
                     ints: [xs[0], xs[1], xs.dropFirst(2).reduce(1, *)], floats: [try node.double("eps")])
        case "local_response_norm":
            try require(node, x, floats)
            try emit(.lrn, node, ints: [t.code, xs[0], xs[1], xs.dropFirst(2).reduce(1, *), try node.int("size")],
                     floats: [try node.double("alpha"), try node.double("beta"), try node.double("k")])
        case "global_avgpool":
            try require(node, x, floats)
            try emit(.meanRows, node, ints: [t.code, xs[0] * xs[1], xs[2] * xs[3]])
        default:
            return false
        }
        return true
    }

    /// Returns false if the op is not a loss or a random op.
    mutating func lowerLossOrRandom(_ node: Node) throws -> Bool {
        let floats: Set<DType> = [.f32, .f64]
        if let code = pairLossCodes[node.op] {
            let a = node.inputs[0], s = try shape(a)
            try require(node, a, floats)
            try emit(.pairLoss, node, ints: [dtype(a).code, code, s.reduce(1, *), s.first ?? 1])
            return true
        }
        switch node.op {
        case "cross_entropy", "nll_loss":
            let logits = node.inputs[0], s = try shape(logits)
            try require(node, logits, floats)
            try emit(.crossEntropy, node, ints: [dtype(logits).code, dtype(node.inputs[1]).code, s[0], s[1],
                                                 node.op == "nll_loss" ? 1 : 0])
        case "l1_penalty", "l2_penalty":
            let x = node.inputs[0]
            try require(node, x, floats)
            try emit(.penalty, node, ints: [dtype(x).code, node.op == "l1_penalty" ? 0 : 1, try shape(x).reduce(1, *)])
        case "random_uniform", "random_normal":
            let o = node.outputs[0]
            try require(node, o, floats)
            let uniform = node.op == "random_uniform"
            let p = uniform ? [try node.double("low"), try node.double("high")] : [try node.double("mean"), try node.double("std")]
            try emit(.random, node, ints: [dtype(o).code, uniform ? 0 : 1, try shape(o).reduce(1, *)], floats: p)
        case "bernoulli":
            let x = node.inputs[0]
            try require(node, x, floats)
            try emit(.random, node, ints: [dtype(x).code, 2, try shape(x).reduce(1, *)], floats: [0, 0])
        case "dropout":
            let x = node.inputs[0]
            try require(node, x, floats)
            try emit(.random, node, ints: [dtype(x).code, 3, try shape(x).reduce(1, *)], floats: [try node.double("rate"), 0])
        case "dropout_mask":
            let x = node.inputs[0], n = try shape(x).reduce(1, *)
            try require(node, x, floats)
            if training {
                try emit(.random, node, inputs: [], ints: [dtype(x).code, 4, n], floats: [try node.double("rate"), 0])
            } else {
                try emit(.fill, node, inputs: [], ints: [dtype(x).code, n], floats: [1])
            }
        case "gelu_backward":
            let x = node.inputs[0]
            try require(node, x, floats)
            try emit(.geluBackward, node, ints: [dtype(x).code, node.bool("approximate") ? 1 : 0, try shape(x).reduce(1, *)])
        case "scatter_add":
            let x = node.inputs[0], idx = node.inputs[1], xs = try shape(x), axis = try node.axis("axis", rank: xs.count)
            try require(node, x, floats)
            try require(node, idx, [.i32, .i64])
            try emit(.scatterAdd, node, ints: [dtype(x).code] + split3(xs, axis) + [dtype(idx).code, try shape(idx).reduce(1, *)])
        default:
            return false
        }
        return true
    }
}
