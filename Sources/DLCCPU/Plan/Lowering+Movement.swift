// Lowering of data movement. transpose, broadcast_to, slice, concat, stack, split and pad are
// each one `copy` step made of strided pieces:
//   copy: ints [elemBytes, fill (0/1), pieceCount, pieces…], floats [fillValue]
//         piece = [inputSlot, outputSlot, rank, shape…, srcOffset, srcStrides…, dstOffset, dstStrides…]
//   gather: ints [elemBytes, outer, axisLen, inner, indexDtype, indexCount]
//   oneHot: ints [indexDtype, count, depth]
import DLCCore

extension Lowerer {
    /// One strided piece, collapsed.
    func piece(input: Int, output: Int, shape: [Int], srcOffset: Int, src: [Int], dstOffset: Int, dst: [Int]) -> [Int] {
        let (shp, st) = collapse(shape, [src, dst])
        return [input, output, shp.count] + shp + [srcOffset] + st[0] + [dstOffset] + st[1]
    }

    mutating func emitCopy(_ node: Node, pieces: [[Int]], fill: Double? = nil) throws {
        let elem = dtype(node.outputs[0]).byteSize
        try emit(.copy, node, ints: [elem, fill == nil ? 0 : 1, pieces.count] + pieces.flatMap { $0 }, floats: [fill ?? 0])
    }

    /// Returns false if the op is not a data-movement op.
    mutating func lowerMovement(_ node: Node) throws -> Bool {
        let x = node.inputs.first
        switch node.op {
        case "transpose":
            let xs = try shape(x!), rank = xs.count
            let raw = try node.attributes["perm"]?.listValue?.isEmpty == false ? node.intList("perm") : Array((0..<rank).reversed())
            let s = contiguousStrides(xs), out = raw.map { xs[$0] }
            try emitCopy(node, pieces: [piece(input: 0, output: 0, shape: out, srcOffset: 0, src: raw.map { s[$0] },
                                              dstOffset: 0, dst: contiguousStrides(out))])
        case "broadcast_to":
            let out = try shape(node.outputs[0])
            try emitCopy(node, pieces: [piece(input: 0, output: 0, shape: out, srcOffset: 0,
                                              src: broadcastStrides(try shape(x!), to: out), dstOffset: 0, dst: contiguousStrides(out))])
        case "slice":
            let xs = try shape(x!), axis = try node.axis("axis", rank: xs.count)
            let n = xs[axis], step = try node.int("step")
            var start = try node.int("start")
            if start < 0 { start += n }
            start = step > 0 ? min(max(start, 0), n) : min(max(start, -1), n - 1)
            let out = try shape(node.outputs[0]), s = contiguousStrides(xs)
            var src = s
            src[axis] = s[axis] * step
            try emitCopy(node, pieces: [piece(input: 0, output: 0, shape: out, srcOffset: start * s[axis], src: src,
                                              dstOffset: 0, dst: contiguousStrides(out))])
        case "concat", "stack":
            let out = try shape(node.outputs[0]), ds = contiguousStrides(out)
            let axis = try node.axis("axis", rank: out.count)
            var pos = 0, pieces: [[Int]] = []
            for (i, v) in node.inputs.enumerated() {
                var xs = try shape(v)
                if node.op == "stack" { xs.insert(1, at: axis) }
                pieces.append(piece(input: i, output: 0, shape: xs, srcOffset: 0, src: contiguousStrides(xs),
                                    dstOffset: pos * ds[axis], dst: ds))
                pos += xs[axis]
            }
            try emitCopy(node, pieces: pieces)
        case "split":
            let xs = try shape(x!), axis = try node.axis("axis", rank: xs.count), s = contiguousStrides(xs)
            var pos = 0, pieces: [[Int]] = []
            for (j, o) in node.outputs.enumerated() {
                let os = try shape(o)
                pieces.append(piece(input: 0, output: j, shape: os, srcOffset: pos * s[axis], src: s, dstOffset: 0,
                                    dst: contiguousStrides(os)))
                pos += os[axis]
            }
            try emitCopy(node, pieces: pieces)
        case "pad":
            let xs = try shape(x!), out = try shape(node.outputs[0]), pads = try node.intList("pads")
            let ds = contiguousStrides(out), first = xs.count - pads.count / 2
            var off = 0
            for k in 0..<(pads.count / 2) { off += pads[2 * k] * ds[first + k] }
            try emitCopy(node, pieces: [piece(input: 0, output: 0, shape: xs, srcOffset: 0, src: contiguousStrides(xs),
                                              dstOffset: off, dst: ds)], fill: try node.double("value"))
        case "gather":
            let xs = try shape(x!), axis = try node.axis("axis", rank: xs.count), idx = node.inputs[1]
            try require(node, idx, [.i32, .i64])
            try emit(.gather, node, ints: [dtype(x!).byteSize, xs[..<axis].reduce(1, *), xs[axis],
                                           xs[(axis + 1)...].reduce(1, *), dtype(idx).code, try shape(idx).reduce(1, *)])
        case "one_hot":
            try require(node, x!, [.i32, .i64])
            try emit(.oneHot, node, ints: [dtype(x!).code, try shape(x!).reduce(1, *), try node.int("depth")])
        default:
            return false
        }
        return true
    }
}
