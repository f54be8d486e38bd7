// Normalization: batch_norm (training: batch statistics over N[, H, W] with the biased
// variance; inference: running statistics), layer_norm, softmax / log_softmax (max-shifted),
// local_response_norm (PyTorch's formula).
import DLCCore
import Foundation

/// Calls `body` with the linear indices of every 1-D line of `shape` along `axis`.
func forEachLine(_ shape: [Int], axis: Int, _ body: ([Int]) throws -> Void) rethrows {
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *), len = shape[axis]
    for o in 0..<outer {
        for j in 0..<inner {
            try body((0..<len).map { (o * len + $0) * inner + j })
        }
    }
}

func registerNormalizationKernels(_ k: ReferenceKernels) {
    k.register("batch_norm") { ctx in
        let x = ctx.inputs[0], xv = x.doubles
        let (mean, variance) = ctx.training ? batchStatistics(xv, shape: x.shape) : (ctx.inputs[3].doubles, ctx.inputs[4].doubles)
        let out = batchNormalize(xv, shape: x.shape, mean: mean, variance: variance, weight: ctx.inputs[1].doubles,
                                 bias: ctx.inputs[2].doubles, eps: try ctx.arguments.double("eps"))
        return [HostTensor.from(out, shape: x.shape, dtype: ctx.outputTypes[0])]
    }
    k.register("layer_norm") { ctx in
        let x = ctx.inputs[0], xv = x.doubles
        let axes = try ctx.arguments.int("axes"), eps = try ctx.arguments.double("eps")
        let size = x.shape.suffix(axes).reduce(1, *)
        let weight = ctx.inputs.count > 1 ? ctx.inputs[1].doubles : nil
        let bias = ctx.inputs.count > 2 ? ctx.inputs[2].doubles : nil
        var out = Array(repeating: 0.0, count: xv.count)
        for row in 0..<(size == 0 ? 0 : xv.count / size) {
            let r = xv[(row * size)..<((row + 1) * size)]
            let mean = r.reduce(0, +) / Double(size)
            let variance = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(size)
            let inv = 1 / (variance + eps).squareRoot()
            for j in 0..<size {
                var y = (xv[row * size + j] - mean) * inv
                if let weight { y *= weight[j] }
                if let bias { y += bias[j] }
                out[row * size + j] = y
            }
        }
        return [HostTensor.from(out, shape: x.shape, dtype: ctx.outputTypes[0])]
    }
    for name in ["softmax", "log_softmax"] {
        k.register(name) { ctx in
            let x = ctx.inputs[0], xv = x.doubles
            let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: x.rank)
            var out = Array(repeating: 0.0, count: xv.count)
            forEachLine(x.shape, axis: axis) { line in
                let m = line.map { xv[$0] }.max() ?? 0
                let shift = m.isFinite ? m : 0
                let sum = line.reduce(0.0) { $0 + exp(xv[$1] - shift) }
                for i in line {
                    out[i] = name == "softmax" ? exp(xv[i] - shift) / sum : xv[i] - shift - log(sum)
                }
            }
            return [HostTensor.from(out, shape: x.shape, dtype: ctx.outputTypes[0])]
        }
    }
    k.register("local_response_norm") { ctx in
        // b_c = a_c / (k + alpha/size · Σ_{c' = c - size/2}^{c + (size-1)/2} a_{c'}²)^beta, zeros beyond the edges.
        let x = ctx.inputs[0], xv = x.doubles, a = ctx.arguments
        let size = try a.int("size"), alpha = try a.double("alpha"), beta = try a.double("beta"), kk = try a.double("k")
        var out = Array(repeating: 0.0, count: xv.count)
        forEachLine(x.shape, axis: 1) { line in
            let c = line.count
            for (ci, i) in line.enumerated() {
                var s = 0.0
                for cj in max(0, ci - size / 2)...min(c - 1, ci + (size - 1) / 2) { s += xv[line[cj]] * xv[line[cj]] }
                out[i] = xv[i] / pow(kk + alpha * s / Double(size), beta)
            }
        }
        return [HostTensor.from(out, shape: x.shape, dtype: ctx.outputTypes[0])]
    }
}
