// Reference kernels of batch_norm_training (normalize with the batch statistics, return them)
// and batch_norm_backward (dx, dweight, dbias from those statistics), in Double.
import DLCCore

/// The batch statistics of x [N, C(, H, W)] per channel: mean and biased variance.
func batchStatistics(_ xv: [Double], shape: [Int]) -> (mean: [Double], variance: [Double]) {
    let n = shape[0], c = shape[1], spatial = shape.dropFirst(2).reduce(1, *)
    let m = Double(n * spatial)
    var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
    for i in 0..<xv.count { mean[(i / spatial) % c] += xv[i] }
    mean = mean.map { $0 / m }
    for i in 0..<xv.count { let d = xv[i] - mean[(i / spatial) % c]; variance[(i / spatial) % c] += d * d }
    return (mean, variance.map { $0 / m })
}

/// (x − mean) / √(variance + eps) · weight + bias, per channel (axis 1) of x [N, C(, H, W)].
func batchNormalize(_ xv: [Double], shape: [Int], mean: [Double], variance: [Double], weight: [Double], bias: [Double],
                    eps: Double) -> [Double] {
    let c = shape[1], spatial = shape.dropFirst(2).reduce(1, *)
    return xv.indices.map { i -> Double in
        let ch = (i / spatial) % c
        return (xv[i] - mean[ch]) / (variance[ch] + eps).squareRoot() * weight[ch] + bias[ch]
    }
}

func registerBatchNormTrainingKernels(_ k: ReferenceKernels) {
    k.register("batch_norm_training") { ctx in
        let x = ctx.inputs[0], xv = x.doubles, c = x.shape[1]
        let (mean, variance) = batchStatistics(xv, shape: x.shape)
        let y = batchNormalize(xv, shape: x.shape, mean: mean, variance: variance, weight: ctx.inputs[1].doubles,
                               bias: ctx.inputs[2].doubles, eps: try ctx.arguments.double("eps"))
        return [HostTensor.from(y, shape: x.shape, dtype: ctx.outputTypes[0]),
                HostTensor.from(mean, shape: [c], dtype: ctx.outputTypes[1]),
                HostTensor.from(variance, shape: [c], dtype: ctx.outputTypes[2])]
    }
    k.register("batch_norm_backward") { ctx in
        let x = ctx.inputs[0], xv = x.doubles, weight = ctx.inputs[1].doubles
        let mean = ctx.inputs[2].doubles, variance = ctx.inputs[3].doubles, g = ctx.inputs[4].doubles
        let eps = try ctx.arguments.double("eps")
        let n = x.shape[0], c = x.shape[1], spatial = x.shape.dropFirst(2).reduce(1, *)
        let m = Double(n * spatial)
        let rstd = variance.map { 1 / ($0 + eps).squareRoot() }
        var dbias = [Double](repeating: 0, count: c), dweight = [Double](repeating: 0, count: c)
        for i in 0..<xv.count {
            let ch = (i / spatial) % c
            dbias[ch] += g[i]
            dweight[ch] += g[i] * (xv[i] - mean[ch]) * rstd[ch]
        }
        let dx = xv.indices.map { i -> Double in
            let ch = (i / spatial) % c
            let xhat = (xv[i] - mean[ch]) * rstd[ch]
            return weight[ch] * rstd[ch] / m * (m * g[i] - dbias[ch] - xhat * dweight[ch])
        }
        return [HostTensor.from(dx, shape: x.shape, dtype: ctx.outputTypes[0]),
                HostTensor.from(dweight, shape: [c], dtype: ctx.outputTypes[1]),
                HostTensor.from(dbias, shape: [c], dtype: ctx.outputTypes[2])]
    }
}
