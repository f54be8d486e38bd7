// Selection and padding: slice (Python semantics), gather (negative indices count from the
// end, like NumPy's take), pad, one_hot.
import DLCCore

/// The positions Python's `range(n)[start:end:step]` selects.
func slicePositions(_ n: Int, start: Int, end: Int, step: Int) -> [Int] {
    func clamp(_ i: Int, _ lo: Int, _ hi: Int) -> Int { min(max(i, lo), hi) }
    var out: [Int] = []
    if step > 0 {
        var i = clamp(start < 0 ? start + n : start, 0, n)
        let e = clamp(end < 0 ? end + n : end, 0, n)
        while i < e { out.append(i); i += step }
    } else {
        var i = clamp(start < 0 ? start + n : start, -1, n - 1)
        let e = clamp(end < 0 ? end + n : end, -1, n - 1)
        while i > e { out.append(i); i += step }
    }
    return out
}

func registerIndexingKernels(_ k: ReferenceKernels) {
    k.register("slice") { ctx in
        let x = ctx.inputs[0], a = ctx.arguments
        let axis = try normalizeAxis(try a.int("axis"), rank: x.rank)
        let pos = slicePositions(x.shape[axis], start: try a.int("start"), end: try a.int("end"), step: try a.int("step"))
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *), len = x.shape[axis]
        var idx: [Int] = []
        for o in 0..<outer { for p in pos { for j in 0..<inner { idx.append((o * len + p) * inner + j) } } }
        return [x.take(idx, shape: ctx.outputShapes[0])]
    }
    k.register("gather") { ctx in
        let x = ctx.inputs[0], indices = ctx.inputs[1].int64s
        let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: x.rank)
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *), len = x.shape[axis]
        var idx: [Int] = []
        for o in 0..<outer {
            for raw in indices {
                guard raw >= -Int64(len), raw < Int64(len) else {
                    throw kernelError("gather", "index \(raw) is out of range for axis \(axis) of size \(len)")
                }
                let p = Int(raw < 0 ? raw + Int64(len) : raw)
                for j in 0..<inner { idx.append((o * len + p) * inner + j) }
            }
        }
        return [x.take(idx, shape: ctx.outputShapes[0])]
    }
    k.register("pad") { ctx in
        let x = ctx.inputs[0], shape = ctx.outputShapes[0]
        let pads = try ctx.arguments.intList("pads"), value = try ctx.arguments.double("value")
        let first = x.rank - pads.count / 2
        var before = Array(repeating: 0, count: x.rank)
        for i in 0..<(pads.count / 2) { before[first + i] = pads[2 * i] }
        let st = strides(x.shape)
        var idx: [Int] = []
        forEachIndex(shape) { o, _ in
            var s = 0
            for d in 0..<o.count {
                let p = o[d] - before[d]
                if p < 0 || p >= x.shape[d] { s = -1; break }
                s += p * st[d]
            }
            idx.append(s)
        }
        return [x.take(idx, shape: shape, fill: value)]
    }
    k.register("one_hot") { ctx in
        let indices = ctx.inputs[0].int64s
        let depth = try ctx.arguments.int("depth")
        var out = Array(repeating: 0.0, count: indices.count * depth)
        for (i, c) in indices.enumerated() {
            guard c >= 0, c < Int64(depth) else { throw kernelError("one_hot", "index \(c) is out of range for depth \(depth)") }
            out[i * depth + Int(c)] = 1
        }
        return [HostTensor.from(out, shape: ctx.outputShapes[0], dtype: ctx.outputTypes[0])]
    }
}
