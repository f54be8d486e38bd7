// Random ops and dropout, drawing from the context's seeded stream in row-major order.
import DLCCore

func registerRandomKernels(_ k: ReferenceKernels) {
    k.register("random_uniform") { ctx in
        var rng = ctx.rng
        let lo = try ctx.arguments.double("low"), hi = try ctx.arguments.double("high")
        let n = ctx.outputShapes[0].reduce(1, *)
        let v = (0..<n).map { _ in lo + (hi - lo) * rng.nextDouble() }
        return [HostTensor.from(v, shape: ctx.outputShapes[0], dtype: ctx.outputTypes[0])]
    }
    k.register("random_normal") { ctx in
        var rng = ctx.rng
        let mean = try ctx.arguments.double("mean"), std = try ctx.arguments.double("std")
        let n = ctx.outputShapes[0].reduce(1, *)
        let v = (0..<n).map { _ in mean + std * rng.normal() }
        return [HostTensor.from(v, shape: ctx.outputShapes[0], dtype: ctx.outputTypes[0])]
    }
    k.register("bernoulli") { ctx in
        var rng = ctx.rng
        let v = ctx.inputs[0].doubles.map { p in rng.nextDouble() < p ? 1.0 : 0.0 }
        return [HostTensor.from(v, shape: ctx.outputShapes[0], dtype: ctx.outputTypes[0])]
    }
    // Training: keep each element with probability 1 - rate (a draw u ≥ rate) and scale it by
    // 1/(1 - rate). Inference: the identity.
    k.register("dropout") { ctx in
        let x = ctx.inputs[0], rate = try ctx.arguments.double("rate")
        guard ctx.training, rate > 0 else { return [x] }
        var rng = ctx.rng
        let scale = 1 / (1 - rate)
        let v = x.doubles.map { e in rng.nextDouble() >= rate ? e * scale : 0 }
        return [HostTensor.from(v, shape: x.shape, dtype: ctx.outputTypes[0])]
    }
}
