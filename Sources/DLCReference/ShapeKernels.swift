// Data movement: reshape, flatten, expand_dims, squeeze (same elements, new shape),
// transpose, broadcast_to, concat, stack, split.
import DLCCore

/// The linear source index of every element of `x` transposed by `perm`.
func transposeIndices(_ shape: [Int], perm: [Int]) -> [Int] {
    let st = strides(shape)
    let outShape = perm.map { shape[$0] }
    var idx: [Int] = []
    idx.reserveCapacity(shape.reduce(1, *))
    forEachIndex(outShape) { o, _ in
        var s = 0
        for d in 0..<perm.count { s += o[d] * st[perm[d]] }
        idx.append(s)
    }
    return idx
}

/// Joins tensors along an existing axis (all of one dtype and rank).
func concatenate(_ xs: [HostTensor], axis: Int, shape: [Int]) -> HostTensor {
    let outer = xs[0].shape[..<axis].reduce(1, *)
    let inner = xs[0].shape[(axis + 1)...].reduce(1, *)
    var offsets: [Int] = [], acc = 0
    for x in xs { offsets.append(acc); acc += x.count }
    var idx: [Int] = []
    idx.reserveCapacity(acc)
    for o in 0..<outer {
        for (t, x) in xs.enumerated() {
            let chunk = x.shape[axis] * inner
            for j in 0..<chunk { idx.append(offsets[t] + o * chunk + j) }
        }
    }
    return HostTensor.joinedStorage(xs).take(idx, shape: shape)
}

func registerShapeKernels(_ k: ReferenceKernels) {
    for name in ["reshape", "flatten", "expand_dims", "squeeze"] {
        k.register(name) { ctx in [ctx.inputs[0].reshaped(ctx.outputShapes[0])] }
    }
    k.register("transpose") { ctx in
        let x = ctx.inputs[0]
        let list = ctx.arguments.value("perm")?.listValue ?? []
        let perm = list.isEmpty ? Array((0..<x.rank).reversed()) : list.compactMap(\.intValue)
        return [x.take(transposeIndices(x.shape, perm: perm), shape: ctx.outputShapes[0])]
    }
    k.register("broadcast_to") { ctx in
        let x = ctx.inputs[0], shape = ctx.outputShapes[0]
        return [x.take(broadcastIndices(from: x.shape, to: shape), shape: shape)]
    }
    k.register("concat") { ctx in
        let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: ctx.inputs[0].rank)
        return [concatenate(ctx.inputs, axis: axis, shape: ctx.outputShapes[0])]
    }
    k.register("stack") { ctx in
        let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: ctx.inputs[0].rank + 1)
        let expanded = ctx.inputs.map { x -> HostTensor in
            var s = x.shape
            s.insert(1, at: axis)
            return x.reshaped(s)
        }
        return [concatenate(expanded, axis: axis, shape: ctx.outputShapes[0])]
    }
    k.register("split") { ctx in
        let x = ctx.inputs[0]
        let axis = try normalizeAxis(try ctx.arguments.int("axis"), rank: x.rank)
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let len = x.shape[axis]
        var start = 0
        return ctx.outputShapes.map { shape in
            let n = shape[axis]
            var idx: [Int] = []
            for o in 0..<outer {
                for j in 0..<(n * inner) { idx.append((o * len + start) * inner + j) }
            }
            start += n
            return x.take(idx, shape: shape)
        }
    }
}
