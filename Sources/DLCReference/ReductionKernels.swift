// Reductions over axes (sum, mean, max, min, prod; NaN propagates through max and min) and
// index reductions (argmax, argmin: the first index on ties, NaN counts as the extreme).
import DLCCore

func registerReductionKernels(_ k: ReferenceKernels) {
    for name in ["sum", "mean", "max", "min", "prod"] {
        k.register(name) { ctx in
            let x = ctx.inputs[0], dtype = ctx.outputTypes[0]
            let axes = try axesList(ctx.arguments.value("axes"), rank: x.rank)
            let (slots, n) = reductionSlots(x.shape, axes: axes)
            let reduced = axes.reduce(1) { $0 * x.shape[$1] }
            if x.count == 0 || reduced == 0, name == "max" || name == "min" {
                throw kernelError(name, "cannot take the \(name) of an empty set of elements")
            }
            if dtype.isFloat {
                let v = x.doubles
                var acc: [Double]
                switch name {
                case "max", "min":
                    acc = Array(repeating: .nan, count: n)
                    var seen = Array(repeating: false, count: n)
                    for (i, s) in slots.enumerated() {
                        let e = v[i]
                        if !seen[s] { acc[s] = e; seen[s] = true; continue }
                        if acc[s].isNaN { continue }
                        if e.isNaN || (name == "max" ? e > acc[s] : e < acc[s]) { acc[s] = e }
                    }
                case "prod":
                    acc = Array(repeating: 1, count: n)
                    for (i, s) in slots.enumerated() { acc[s] *= v[i] }
                default:
                    acc = Array(repeating: 0, count: n)
                    for (i, s) in slots.enumerated() { acc[s] += v[i] }
                    if name == "mean" { acc = acc.map { $0 / Double(reduced) } }
                }
                return [HostTensor.from(acc, shape: ctx.outputShapes[0], dtype: dtype)]
            }
            let v = x.int64s
            var acc: [Int64]
            switch name {
            case "max", "min":
                acc = Array(repeating: 0, count: n)
                var seen = Array(repeating: false, count: n)
                for (i, s) in slots.enumerated() {
                    if !seen[s] { acc[s] = v[i]; seen[s] = true } else { acc[s] = name == "max" ? max(acc[s], v[i]) : min(acc[s], v[i]) }
                }
            case "prod":
                acc = Array(repeating: 1, count: n)
                for (i, s) in slots.enumerated() { acc[s] = acc[s] &* v[i] }
            default:
                acc = Array(repeating: 0, count: n)
                for (i, s) in slots.enumerated() { acc[s] = acc[s] &+ v[i] }
                if name == "mean" { acc = acc.map { $0 / Int64(Swift.max(reduced, 1)) } }
            }
            return [HostTensor.fromInts(acc, shape: ctx.outputShapes[0], dtype: dtype)]
        }
    }
    for name in ["argmax", "argmin"] {
        k.register(name) { ctx in
            let x = ctx.inputs[0]
            let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: x.rank)
            guard x.shape[axis] > 0 else { throw kernelError(name, "cannot search an empty axis") }
            let (slots, n) = reductionSlots(x.shape, axes: [axis])
            let st = strides(x.shape)[axis], len = x.shape[axis]
            var best = Array(repeating: -1, count: n)   // position along the axis
            var bestValue = Array(repeating: 0.0, count: n)
            var bestInt = Array(repeating: Int64(0), count: n)
            let isFloat = x.dtype.isFloat
            let dv = isFloat ? x.doubles : [], iv = isFloat ? [] : x.int64s
            for i in 0..<x.count {
                let s = slots[i], pos = (i / st) % len
                if best[s] < 0 {
                    best[s] = pos
                    if isFloat { bestValue[s] = dv[i] } else { bestInt[s] = iv[i] }
                    continue
                }
                let better: Bool
                if isFloat {
                    let e = dv[i], b = bestValue[s]
                    better = !b.isNaN && (e.isNaN || (name == "argmax" ? e > b : e < b))
                } else {
                    better = name == "argmax" ? iv[i] > bestInt[s] : iv[i] < bestInt[s]
                }
                if better {
                    best[s] = pos
                    if isFloat { bestValue[s] = dv[i] } else { bestInt[s] = iv[i] }
                }
            }
            return [HostTensor.fromInts(best.map(Int64.init), shape: ctx.outputShapes[0], dtype: .i64)]
        }
    }
}
