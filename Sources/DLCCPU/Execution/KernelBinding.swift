// Binding plan steps to kernel calls: each step becomes a closure over fixed buffer addresses
// and argument arrays copied to stable memory, so a run does no decoding, no lookups and no
// allocation. The argument layouts are documented in the Lowering files.
import CDNNL
import CKernels
import DLCCore

func dlc_fill_buffer(_ dtype: DType, _ count: Int, _ value: Double, _ p: UnsafeMutableRawPointer) {
    dlc_fill(Int32(dtype.code), Int64(count), value, p)
}

extension Executor {
    /// oneDNN steps: returns their bound primitive, or nil for other kernels.
    /// A oneDNN step's input: where a previous step left it (in a oneDNN layout), or its plan
    /// buffer; state (and the results of state-derived steps, such as a folded convolution's
    /// weights) is converted once per state change when runs do not update it.
    func dnnlInput(_ b: Int) -> DNNLOperand {
        if let k = keptLayouts[b] {
            var x = DNNLOperand(k.pointer, layout: k.desc)
            x.sharedByOneDNNSteps = oneDNNReaders[b, default: 0] > 1
            x.owner = b
            return x
        }
        return DNNLOperand(pointer(b), stateOnly: plan.updates.isEmpty
                           && (plan.buffers[b].region == .state || stateDerivedResults.contains(b)))
    }

    /// A oneDNN step's result: kept in the primitive's layout when a oneDNN step reads it so,
    /// with a plain copy when steps that cannot read it so, outputs or views need one.
    func dnnlResult(_ b: Int) -> DNNLOperand {
        var y = DNNLOperand(pointer(b), keep: layoutChain.contains(b), plainCopy: plainCopies.contains(b))
        y.owner = stateDerivedResults.contains(b) ? nil : b
        y.keepInPlace = { [unowned self] in self.mayKeepInPlace(b, $0) }
        y.readByOwnKernels = y.keep && ownKernelInputs.contains(b)
        return y
    }

    func bindOneDNN(_ s: PlanStep) throws -> DNNLCall? {
        switch s.kernel {
        case .convolution, .deconvolution:
            return try context().convolution(s.ints, transposed: s.kernel == .deconvolution, x: dnnlInput(s.inputs[0]),
                                             w: dnnlInput(s.inputs[1]), bias: s.ints[18] == 1 ? pointer(s.inputs[2]) : nil,
                                             y: dnnlResult(s.outputs[0]), postOps: try convolutionPostOps(s))
        case .pooling:
            return try context().pooling(s.ints, x: dnnlInput(s.inputs[0]), y: dnnlResult(s.outputs[0]))
        case .convolutionBackwardWeight:
            return try context().convolutionBackwardWeight(s.ints, x: dnnlInput(s.inputs[0]), dy: dnnlInput(s.inputs[1]),
                                                           dw: pointer(s.outputs[0]))
        case .batchNormInference:
            // The running statistics: operands 3 and 4.
            return try context().batchNormInference(s.ints, eps: s.floats[0], x: pointer(s.inputs[0]),
                                                    weight: pointer(s.inputs[1]), bias: pointer(s.inputs[2]),
                                                    mean: pointer(s.inputs[3]), variance: pointer(s.inputs[4]),
                                                    y: pointer(s.outputs[0]))
        default:
            return nil
        }
    }

    /// Every other step: a closure returning the C kernel's status (0 on success).
    /// `randomOrdinal` counts the random steps before this one: a random step's stream is
    /// keyed by it (not by the step's index), so passes that add or remove other steps
    /// (fusion) leave the random draws unchanged.
    func bind(_ s: PlanStep, index: Int, randomOrdinal: Int) throws -> () -> Int32 {
        let a = s.ints, f = s.floats
        // The operands bindSteps found this step can read in kept layouts (KernelLayouts.swift).
        let kept = keptReads[index] ?? []
        let x = s.inputs.map { UnsafeRawPointer(pointer($0)) }
        let y = s.outputs.map(pointer)
        let i32 = { (k: Int) in Int32(a[k]) }, i64 = { (k: Int) in Int64(a[k]) }
        switch s.kernel {
        case .fill:
            let (t, n, v, out) = (i32(0), i64(1), f[0], y[0])
            return { dlc_fill(t, n, v, out); return 0 }
        case .unary where !kept.isEmpty, .binary where !kept.isEmpty:
            return try bindKeptElementwise(s)
        case .unary:
            let (t, op, n, al, be, src, out) = (i32(0), i32(1), i64(2), f[0], f[1], x[0], y[0])
            return { dlc_unary(t, op, n, src, out, al, be) }
        case .binary:
            let rank = a[2], shp = stable(a[3...]), sa = shp + rank, sb = shp + 2 * rank
            let (t, op, r, p, q, out) = (i32(0), i32(1), Int32(rank), x[0], x[1], y[0])
            return { dlc_binary(t, op, r, shp, sa, sb, p, q, out) }
        case .select:
            let rank = a[1], shp = stable(a[2...])
            let (e, r, c, p, q, out) = (i32(0), Int32(rank), x[0].assumingMemoryBound(to: UInt8.self), x[1], x[2], y[0])
            return { dlc_where(e, r, shp, shp + rank, shp + 2 * rank, shp + 3 * rank, c, p, q, out); return 0 }
        case .cast:
            let (from, to, n, src, out) = (i32(0), i32(1), i64(2), x[0], y[0])
            return { dlc_cast(from, to, n, src, out); return 0 }
        case .copy:
            return bindCopy(s, x, y)
        case .gather:
            let (e, o, len, inner, it, n, src, idx, out) = (i32(0), i64(1), i64(2), i64(3), i32(4), i64(5), x[0], x[1], y[0])
            return { dlc_gather(e, o, len, inner, src, it, n, idx, out) }
        case .oneHot:
            let (it, n, depth, idx, out) = (i32(0), i64(1), i64(2), x[0], y[0].assumingMemoryBound(to: Float.self))
            return { dlc_one_hot(it, n, depth, idx, out); return 0 }
        case .reduce:
            if kept.contains(0), let rows = channelSumRows(s) {
                // A kept operand with the channels innermost, read in its layout (KernelLayouts.swift).
                let (t, mean, n, len, c) = (i32(0), i32(1), Int64(rows.rows), Int64(rows.rowLength), i64(3))
                let (src, out) = (UnsafeRawPointer(keptLayouts[s.inputs[0]]!.pointer), y[0])
                return { dlc_channel_sum(t, mean, n, len, c, src, out) }
            }
            let kr = a[2], rr = a[3 + 2 * kr], ks = stable(a[3...]), rs = stable(a[(4 + 2 * kr)...])
            let (t, op, src, out) = (i32(0), i32(1), x[0], y[0])
            return { dlc_reduce(t, op, Int32(kr), ks, ks + kr, Int32(rr), rs, rs + rr, src, out) }
        case .argReduce:
            let (t, mx, o, n, inner, src, out) = (i32(0), i32(1), i64(2), i64(3), i64(4), x[0], y[0].assumingMemoryBound(to: Int64.self))
            return { dlc_argreduce(t, mx, o, n, inner, src, out) }
        case .softmax:
            let (t, lg, o, n, inner, src, out) = (i32(0), i32(1), i64(2), i64(3), i64(4), x[0], y[0])
            return { dlc_softmax(t, lg, o, n, inner, src, out) }
        case .layerNorm:
            let w: UnsafeRawPointer? = a[3] == 1 ? x[1] : nil, b: UnsafeRawPointer? = a[4] == 1 ? x[2] : nil
            let (t, rows, n, eps, src, out) = (i32(0), i64(1), i64(2), f[0], x[0], y[0])
            return { dlc_layer_norm(t, rows, n, src, w, b, eps, out) }
        case .batchNorm:
            let (t, ub, n, c, sp, eps, out) = (i32(0), i32(1), i64(2), i64(3), i64(4), f[0], y[0])
            return { dlc_batch_norm(t, ub, n, c, sp, x[0], x[1], x[2], x[3], x[4], eps, out) }
        case .lrn:
            let (t, n, c, sp, size, out) = (i32(0), i64(1), i64(2), i64(3), i64(4), y[0])
            return { dlc_lrn(t, n, c, sp, size, f[0], f[1], f[2], x[0], out) }
        case .meanRows:
            let (t, rows, len, src, out) = (i32(0), i64(1), i64(2), x[0], y[0])
            return { dlc_mean_rows(t, rows, len, src, out) }
        case .crossEntropy:
            let (t, lt, n, c, out) = (i32(0), i32(1), i64(2), i64(3), y[0])
            if a.count > 4 && a[4] == 1 { return { dlc_nll_loss(t, lt, n, c, x[0], x[1], out) } }
            return { dlc_cross_entropy(t, lt, n, c, x[0], x[1], out) }
        case .pairLoss:
            let (t, op, n, rows, out) = (i32(0), i32(1), i64(2), i64(3), y[0])
            return { dlc_pair_loss(t, op, n, rows, x[0], x[1], out) }
        case .penalty:
            let (t, op, n, out) = (i32(0), i32(1), i64(2), y[0])
            return { dlc_penalty(t, op, n, x[0], out) }
        case .random:
            let key = randomKey, salt = UInt64(randomOrdinal) &* 0xA076_1D64_78BD_642F
            let (t, kind, n, p0, p1, src, out) = (i32(0), i32(1), i64(2), f[0], f[1], x.first, y[0])
            return { dlc_random(t, kind, key.pointee ^ salt, n, p0, p1, src, out) }
        case .geluBackward:
            let (t, ap, n, out) = (i32(0), i32(1), i64(2), y[0])
            return { dlc_gelu_backward(t, ap, n, x[0], x[1], out) }
        case .scatterAdd:
            let (t, o, len, inner, it, n, out) = (i32(0), i64(1), i64(2), i64(3), i32(4), i64(5), y[0])
            return { dlc_scatter_add(t, o, len, inner, x[0], it, n, x[1], x[2], out) }
        case .poolingBackward:
            return try bindPoolingBackward(s, kept: kept)
        case .batchNormTraining, .batchNormBackward:
            return try bindBatchNorm(s, kept: kept)
        case .matmul:
            return bindMatMul(a, x, y)
        case .fused:
            return try bindFused(s, kept: kept)
        case .fusedMulti:
            return bindFusedMulti(s)
        case .custom:
            guard let k = plan.pluginKernels[s.node] else {
                throw DLCError("step \(index) ('\(s.op)') of '\(plan.name)' has no plugin kernel; load the plugin that provides '\(s.op)'")
            }
            let call = KernelCall(inputs: x, inputShapes: s.inputs.map { plan.buffers[$0].shape },
                                  inputTypes: s.inputs.map { plan.buffers[$0].dtype }, outputs: y,
                                  outputShapes: s.outputs.map { plan.buffers[$0].shape },
                                  outputTypes: s.outputs.map { plan.buffers[$0].dtype }, attributes: k.attributes)
            let kernel = k.kernel, failure = pluginFailure
            return {
                do {
                    try kernel(call)
                    return 0
                } catch let e as DLCError {
                    failure.message = e.message
                } catch {
                    failure.message = "\(error)"
                }
                return -3
            }
        case .fusedMatmul:
            return bindFusedMatMul(s)
        case .convolution, .deconvolution, .pooling, .convolutionBackwardWeight, .batchNormInference:
            throw DLCError("internal error: \(s.kernel.rawValue) is bound through oneDNN")
        }
    }

    private func bindCopy(_ s: PlanStep, _ x: [UnsafeRawPointer], _ y: [UnsafeMutableRawPointer]) -> () -> Int32 {
        let a = s.ints, elem = Int32(a[0])
        var pieces: [(src: UnsafeRawPointer, dst: UnsafeMutableRawPointer, rank: Int32, args: UnsafeMutablePointer<Int64>)] = []
        var k = 3
        for _ in 0..<a[2] {
            let rank = a[k + 2]
            pieces.append((x[a[k]], y[a[k + 1]], Int32(rank), stable(a[(k + 3)..<(k + 3 + 3 * rank + 2)])))
            k += 3 + 3 * rank + 2
        }
        // Pad: fill the whole output first, then copy the interior.
        let out = plan.buffers[s.outputs[0]]
        let fill: (Int32, Int64, Double)? = a[1] == 1 ? (Int32(out.dtype.code), Int64(out.count), s.floats[0]) : nil
        let first = y[0]
        return {
            if let fill { dlc_fill(fill.0, fill.1, fill.2, first) }
            for p in pieces {
                let r = Int(p.rank)
                // args: shape[r], srcOffset, srcStrides[r], dstOffset, dstStrides[r]
                dlc_strided_copy(elem, p.rank, p.args, p.src, p.args[r], p.args + r + 1, p.dst, p.args[2 * r + 1], p.args + 2 * r + 2)
            }
            return 0
        }
    }

    func bindMatMul(_ a: [Int], _ x: [UnsafeRawPointer], _ y: [UnsafeMutableRawPointer]) -> () -> Int32 {
        let f32 = a[0] == DType.f32.code, batches = a[1]
        let (m, n, k, ta, tb, lda, ldb) = (Int64(a[2]), Int64(a[3]), Int64(a[4]), a[5] == 1, a[6] == 1, Int64(a[7]), Int64(a[8]))
        let offsets = stable(a[9...]), elem = f32 ? 4 : 8
        let (pa, pb, pc) = (x[0], x[1], y[0])
        let cStride = Int(m * n) * elem
        return {
            for i in 0..<batches {
                let aa = pa + Int(offsets[2 * i]) * elem, bb = pb + Int(offsets[2 * i + 1]) * elem, cc = pc + i * cStride
                if f32 {
                    let st = dnnl_sgemm(ta ? 84 : 78, tb ? 84 : 78, m, n, k, 1, aa.assumingMemoryBound(to: Float.self), lda,
                                        bb.assumingMemoryBound(to: Float.self), ldb, 0, cc.assumingMemoryBound(to: Float.self), n)
                    if st != dnnl_success { return -2 }
                } else {
                    dlc_dgemm(ta ? 1 : 0, tb ? 1 : 0, m, n, k, aa.assumingMemoryBound(to: Double.self), lda,
                              bb.assumingMemoryBound(to: Double.self), ldb, cc.assumingMemoryBound(to: Double.self), n)
                }
            }
            return 0
        }
    }
}
