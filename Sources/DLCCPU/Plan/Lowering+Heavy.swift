// Lowering of the ops that run on oneDNN (and f64 fallbacks):
//   matmul:        ints [dtype, batches, M, N, K, transA, transB, lda, ldb, (aOffset, bOffset) per batch]
//                  (row-major; a batch of matrices times one matrix folds the batch into M)
//   convolution:   ints [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, DH, DW, padTop, padBottom, padLeft, padRight, groups, hasBias]
//                  (inputs x, weight, bias if hasBias; a fused convolution's post-ops follow, see
//                  Lowering+FusedConvolution.swift)
//   deconvolution: the same fields for conv_transpose (weight [C, OC/groups, KH, KW])
//   pooling:       ints [isMax, N, C, H, W, KH, KW, OH, OW, SH, SW, padTop, padLeft, padBottom, padRight]
//                  (bottom/right padding extended so that oneDNN yields the planned size, e.g. ceil_mode)
//   convolutionBackwardWeight: ints [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, DH, DW, padTop, padBottom, padLeft,
//                  padRight, groups] (x [N, C, H, W], grad_out [N, OC, OH, OW], result [OC, C/groups, KH, KW])
//   poolingBackward: ints [isMax, N, C, H, W, KH, KW, OH, OW, SH, SW, padTop, padLeft, dtype] (C kernel with the
//                  reference's windows: first maximum wins, NaN wins; avg divides by the clipped window)
import DLCCore

extension Lowerer {
    mutating func lowerMatMul(_ node: Node) throws {
        try emit(.matmul, node, ints: try matmulArguments(node))
    }

    /// `batch_summed_matmul(a [batch…, K, M], b [batch…, K, N])` as one `matmul` step: the
    /// stacked operands are the row-major matrices [batch·K, M] and [batch·K, N], so the sum over
    /// the batch is the product aᵀ·b with batch·K terms.
    mutating func lowerBatchSummedMatMul(_ node: Node) throws {
        let a = node.inputs[0], b = node.inputs[1]
        try require(node, a, [.f32, .f64])
        let sa = try shape(a), sb = try shape(b)
        guard sa.count >= 3, sa.count == sb.count, sa.dropLast() == sb.dropLast() else {
            throw node.fail("needs operands [batch…, K, M] and [batch…, K, N]")
        }
        let m = sa[sa.count - 1], n = sb[sb.count - 1], k = sa.dropLast().reduce(1, *)
        try emit(.matmul, node, ints: [dtype(a).code, 1, m, n, k, 1, 0, m, n, 0, 0])
    }

    /// The `matmul` step's ints for the product of the node's first two operands.
    func matmulArguments(_ node: Node) throws -> [Int] {
        let a = node.inputs[0], b = node.inputs[1]
        try require(node, a, [.f32, .f64])
        var sa = try shape(a), sb = try shape(b)
        var ta = node.bool("transpose_a"), tb = node.bool("transpose_b")
        if sa.count == 1 { sa = [1, sa[0]]; ta = false }
        if sb.count == 1 { sb = [sb[0], 1]; tb = false }
        let m = ta ? sa[sa.count - 1] : sa[sa.count - 2], k = ta ? sa[sa.count - 2] : sa[sa.count - 1]
        let n = tb ? sb[sb.count - 2] : sb[sb.count - 1]
        let lda = sa[sa.count - 1], ldb = sb[sb.count - 1]
        let batchA = Array(sa.dropLast(2)), batchB = Array(sb.dropLast(2))
        let rank = max(batchA.count, batchB.count)
        let padA = Array(repeating: 1, count: rank - batchA.count) + batchA
        let padB = Array(repeating: 1, count: rank - batchB.count) + batchB
        let batch = zip(padA, padB).map { max($0, $1) }
        let count = batch.reduce(1, *)
        if !ta, padB.allSatisfy({ $0 == 1 }) {
            // [batch…, M, K] · [K, N]: one product with batch·M rows.
            return [dtype(a).code, 1, m * count, n, k, 0, tb ? 1 : 0, lda, ldb, 0, 0]
        }
        let strideA = broadcastStrides(padA, to: batch), strideB = broadcastStrides(padB, to: batch)
        var offsets: [Int] = []
        offsets.reserveCapacity(2 * count)
        var idx = Array(repeating: 0, count: rank)
        for _ in 0..<count {
            offsets.append(zip(idx, strideA).reduce(0) { $0 + $1.0 * $1.1 } * sa[sa.count - 2] * sa[sa.count - 1])
            offsets.append(zip(idx, strideB).reduce(0) { $0 + $1.0 * $1.1 } * sb[sb.count - 2] * sb[sb.count - 1])
            var d = rank - 1
            while d >= 0 {
                idx[d] += 1
                if idx[d] < batch[d] { break }
                idx[d] = 0
                d -= 1
            }
        }
        return [dtype(a).code, count, m, n, k, ta ? 1 : 0, tb ? 1 : 0, lda, ldb] + offsets
    }

    mutating func lowerConvolution(_ node: Node) throws {
        let transposed = node.op == "conv_transpose"
        try emit(transposed ? .deconvolution : .convolution, node,
                 ints: try convolutionArguments(node, transposed: transposed, hasBias: node.inputs.count > 2))
        requestLayout(node)
    }

    /// The `convolution` (or `deconvolution`) step's ints for the node's first operands (x, the
    /// weight) and its window attributes.
    func convolutionArguments(_ node: Node, transposed: Bool, hasBias: Bool) throws -> [Int] {
        let x = node.inputs[0], w = node.inputs[1]
        try require(node, x, [.f32])
        let xs = try shape(x), ws = try shape(w), os = try shape(node.outputs[0])
        let stride = try node.ints("stride", count: 2), dil = try node.ints("dilation", count: 2)
        let groups = try node.int("groups")
        let kernel = [ws[2], ws[3]]
        var pad = try node.padding(size: [xs[2], xs[3]], kernel: kernel, stride: stride, dilation: dil)
        if transposed {
            // Bottom/right padding that gives the planned size (absorbs output_padding).
            for i in 0..<2 {
                pad[2 * i + 1] = (xs[2 + i] - 1) * stride[i] + dil[i] * (kernel[i] - 1) + 1 - pad[2 * i] - os[2 + i]
            }
        }
        return [xs[0], xs[1], xs[2], xs[3], os[1], kernel[0], kernel[1], os[2], os[3], stride[0], stride[1],
                dil[0], dil[1], pad[0], pad[1], pad[2], pad[3], groups, hasBias ? 1 : 0]
    }

    mutating func lowerPooling(_ node: Node) throws {
        let x = node.inputs[0]
        try require(node, x, [.f32])
        let xs = try shape(x), os = try shape(node.outputs[0])
        let kernel = try node.ints("kernel", count: 2)
        let stride = node.attributes["stride"]?.stringValue == "none" || node.attributes["stride"] == nil
            ? kernel : try node.ints("stride", count: 2)
        let pad = try node.ints("padding", count: 2)
        var ints = [node.op == "maxpool2d" ? 1 : 0, xs[0], xs[1], xs[2], xs[3], kernel[0], kernel[1], os[2], os[3],
                    stride[0], stride[1], pad[0], pad[1]]
        for i in 0..<2 { ints.append(max(0, (os[2 + i] - 1) * stride[i] + kernel[i] - xs[2 + i] - pad[i])) }
        try emit(.pooling, node, ints: ints)
        requestLayout(node)
    }

    mutating func lowerConvolutionBackwardWeight(_ node: Node) throws {
        let x = node.inputs[0], g = node.inputs[1]
        try require(node, x, [.f32])
        let xs = try shape(x), gs = try shape(g)
        let stride = try node.ints("stride", count: 2), dil = try node.ints("dilation", count: 2)
        let kernel = try node.ints("kernel", count: 2), groups = try node.int("groups")
        let pad = try node.padding(size: [xs[2], xs[3]], kernel: kernel, stride: stride, dilation: dil)
        for i in 0..<2 {
            let extent = dil[i] * (kernel[i] - 1) + 1
            guard (xs[2 + i] + pad[2 * i] + pad[2 * i + 1] - extent) / stride[i] + 1 == gs[2 + i] else {
                throw node.fail("grad_out \(gs) does not match the convolution of x \(xs) with kernel \(kernel), stride \(stride), padding \(pad)")
            }
        }
        try emit(.convolutionBackwardWeight, node,
                 ints: [xs[0], xs[1], xs[2], xs[3], gs[1], kernel[0], kernel[1], gs[2], gs[3], stride[0], stride[1],
                        dil[0], dil[1], pad[0], pad[1], pad[2], pad[3], groups])
    }

    mutating func lowerPoolingBackward(_ node: Node) throws {
        let x = node.inputs[0], g = node.inputs[1]
        try require(node, x, [.f32, .f64])
        let xs = try shape(x), gs = try shape(g)
        let kernel = try node.ints("kernel", count: 2)
        let stride = node.attributes["stride"]?.stringValue == "none" || node.attributes["stride"] == nil
            ? kernel : try node.ints("stride", count: 2)
        let pad = try node.ints("padding", count: 2)
        try emit(.poolingBackward, node,
                 ints: [node.op == "maxpool2d_backward" ? 1 : 0, xs[0], xs[1], xs[2], xs[3], kernel[0], kernel[1],
                        gs[2], gs[3], stride[0], stride[1], pad[0], pad[1], dtype(x).code])
    }
}
