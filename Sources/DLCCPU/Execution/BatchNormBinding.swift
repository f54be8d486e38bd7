// Batch normalization in a training step: our own kernels (batch_norm_training.c), on the plain
// layout or on the layout a convolution left x in, with sums in one order whatever the layout —
// so the training step gives the same numbers with and without the assign-layouts pass, and a
// convolution / batch norm / ReLU stack stays in oneDNN's layout forward and backward.
//   batchNormTraining: x, weight, bias → y, mean, variance; ints [N, C, S], floats [eps]
//   batchNormBackward: x, weight, mean, variance, dy → dx, dweight, dbias; same ints and floats
// The data operands (x; x and dy) are read in a kept layout when they all lie in one that the
// kernel addresses (`KeptLayout.channelLayout`); the result (y; dx) then takes that layout and
// is kept. Otherwise every operand is read and written plain.
import CDNNL
import CKernels
import DLCCore

extension KeptLayout {
    /// {image, block stride, position stride, block} (see `dlc_batch_norm_training`) when the
    /// batch-norm kernels can read the layout.
    var channelLayout: [Int]? {
        var md = desc
        var l = [Int64](repeating: 0, count: 4)
        return dlc_dnnl_channel_layout(&md, &l) == 1 ? l.map(Int.init) : nil
    }
}

extension Executor {
    /// The data operands of a batch-norm step (x; x and dy).
    private func batchNormData(_ s: PlanStep) -> [Int] {
        s.kernel == .batchNormTraining ? [0] : [0, 4]
    }

    /// The operands of batch-norm step `s` read in a kept layout: all of its data operands when
    /// they share one the kernel can address and its result may be kept, else none.
    func batchNormKeptOperands(_ s: PlanStep) -> Set<Int> {
        let data = batchNormData(s)
        guard let first = keptLayouts[s.inputs[data[0]]], first.channelLayout != nil,
              !mustBePlain.contains(s.outputs[0]) else { return [] }
        var d0 = first.desc
        for k in data.dropFirst() {
            guard var d = keptLayouts[s.inputs[k]]?.desc, dnnl_memory_desc_equal(&d0, &d) != 0 else { return [] }
        }
        return Set(data)
    }

    /// A batch-norm step on the layout bindSteps chose (`kept`: its data operands, or none).
    func bindBatchNorm(_ s: PlanStep, kept: Set<Int>) throws -> () -> Int32 {
        let (n, c, sp) = (s.ints[0], s.ints[1], s.ints[2])
        let eps = s.floats[0]
        let layout: [Int]
        var x = s.inputs.map { UnsafeRawPointer(pointer($0)) }
        var result = pointer(s.outputs[0])
        if let k = kept.first.flatMap({ keptLayouts[s.inputs[$0]] }), let l = k.channelLayout {
            layout = l
            for j in kept { x[j] = UnsafeRawPointer(keptLayouts[s.inputs[j]]!.pointer) }
            result = try keepResult(s.outputs[0], like: k.desc)
        } else {
            // Plain: NCHW planes, or [N, C] rows (one position) with the channels side by side.
            layout = sp == 1 ? [c, 0, c, c] : [c * sp, sp, 1, 1]
        }
        let l = stable(layout[...])
        let f = x.map { $0.assumingMemoryBound(to: Float.self) }
        let out = s.outputs.map { pointer($0).assumingMemoryBound(to: Float.self) }
        let y = result.assumingMemoryBound(to: Float.self)
        let (nn, cc, ss) = (Int64(n), Int64(c), Int64(sp))
        if s.kernel == .batchNormTraining {
            return { dlc_batch_norm_training(nn, cc, ss, l, f[0], f[1], f[2], eps, y, out[1], out[2]) }
        }
        return { dlc_batch_norm_backward(nn, cc, ss, l, f[0], f[1], f[2], f[3], f[4], eps, y, out[1], out[2]) }
    }
}
