// Our own kernels on oneDNN's layouts, so a training step's gradients stay in the layouts of
// the convolutions around them instead of being reordered to plain and back at each kernel.
//
// A value a oneDNN step left in its primitive's layout (`keptLayouts`, OneDNN+Layouts.swift)
// is read there, without a plain copy, by
// - the pooling gradient (`dlc_pool_backward`), for x and g, when the layout is addressable by
//   strides alone (NHWC, or channel blocks of which the channels fill one: nChw8c with at most 8
//   channels); its result takes x's layout and is kept too;
// - a fused elementwise program all of whose full-size operands share one layout: the program
//   runs over the memory as one flat run, padding included (so a padded layout needs a program
//   that maps zeros to zeros, checked once), and its results are kept in that layout;
// - a per-channel sum over (N, H, W) (a convolution's bias gradient) in a layout with the
//   channels innermost, lane by lane (`dlc_channel_sum`).
// Any other reader gets the plain bytes: written after the producing oneDNN step when the plan
// asked for a plain copy (`PlanStep.writesPlainCopy`), else reordered before the first step that
// needs them (`plainConversions`), once per run.
import CDNNL
import CKernels
import DLCCore

extension KeptLayout {
    /// Element strides of (n, c, h, w) when our kernels can address the layout by strides alone.
    var logicalStrides: [Int]? {
        var md = desc
        var s = [Int64](repeating: 0, count: 4)
        return dlc_dnnl_logical_strides(&md, &s) == 1 ? s.map(Int.init) : nil
    }

    /// Whether the layout rounds a dimension up to its block (padding our kernels must keep zero).
    var isPadded: Bool {
        var md = desc
        return dlc_dnnl_is_padded(&md) == 1
    }

    /// Elements the memory holds, padding included (f32).
    var elements: Int {
        var md = desc
        return Int(dnnl_memory_desc_get_size(&md)) / 4
    }
}

extension Executor {
    /// The buffer whose bytes `b` shares (itself unless it is a view).
    func viewRoot(_ b: Int) -> Int {
        var r = b
        while let v = plan.buffers[r].viewOf { r = v }
        return r
    }

    /// The operands step `s` reads in the layouts previous steps left them in.
    func keptOperands(_ s: PlanStep) -> Set<Int> {
        switch s.kernel {
        case .convolution, .deconvolution, .pooling, .convolutionBackwardWeight:
            return Set(s.inputs.indices.filter { s.readsNative(operand: $0) && keptLayouts[s.inputs[$0]] != nil })
        case .poolingBackward:
            // x and the result share a layout: x is read kept only when the result may be kept.
            var k: Set<Int> = []
            if keptLayouts[s.inputs[0]]?.logicalStrides != nil && !mustBePlain.contains(s.outputs[0]) { k.insert(0) }
            if keptLayouts[s.inputs[1]]?.logicalStrides != nil { k.insert(1) }
            return k
        case .reduce:
            return channelSumRows(s) != nil ? [0] : []
        case .fused:
            guard let run = flatRun(s) else { return [] }
            return Set(s.inputs.indices.filter { run.full[$0] })
        default:
            return []
        }
    }

    /// Reorders that write the plain bytes of the kept values step `s` reads in the plain layout
    /// (directly or through a view) and that no earlier step wrote; run before the step.
    func plainConversions(_ s: PlanStep, kept: Set<Int>) throws -> [DNNLExec] {
        var execs: [DNNLExec] = []
        for (k, b) in s.inputs.enumerated() where !kept.contains(k) {
            let root = viewRoot(b)
            guard let layout = keptLayouts[root], !plainReady.contains(root) else { continue }
            let ctx = try context()
            let plain = try ctx.desc(plan.buffers[root].shape, dnnl_nchw)
            execs.append(try ctx.reorder(from: (layout.desc, try ctx.memory(layout.desc, layout.pointer)),
                                         to: (plain, try ctx.memory(plain, pointer(root)))))
            plainReady.insert(root)
        }
        return execs
    }

    /// Keeps result `b` of one of our kernels in `desc`, in zeroed memory of its own.
    func keepResult(_ b: Int, like desc: dnnl_memory_desc_t) throws -> UnsafeMutableRawPointer {
        let p = try context().shadow(desc)
        keptLayouts[b] = KeptLayout(desc: desc, pointer: p)
        return p
    }
}

extension Executor {
    /// A pooling gradient: x, g and the result by strides (x and the result in x's layout when
    /// x is among the `kept` operands).
    func bindPoolingBackward(_ s: PlanStep, kept: Set<Int>) throws -> () -> Int32 {
        let a = s.ints
        let (n, c, h, w, oh, ow) = (a[1], a[2], a[3], a[4], a[7], a[8])
        let plainX = [c * h * w, h * w, w, 1], plainG = [c * oh * ow, oh * ow, ow, 1]
        let x = kept.contains(0) ? keptLayouts[s.inputs[0]]! : nil, g = kept.contains(1) ? keptLayouts[s.inputs[1]]! : nil
        let xs = stable((x?.logicalStrides ?? plainX)[...]), gs = stable((g?.logicalStrides ?? plainG)[...])
        let xp = UnsafeRawPointer(x?.pointer ?? pointer(s.inputs[0])), gp = UnsafeRawPointer(g?.pointer ?? pointer(s.inputs[1]))
        let y = try x.map { try keepResult(s.outputs[0], like: $0.desc) } ?? pointer(s.outputs[0])
        let count = Int64(x?.elements ?? n * c * h * w)
        let (mx, t) = (Int32(a[0]), Int32(a[13]))
        let (nn, cc, hh, ww, kh, kw, ohh, oww) = (Int64(n), Int64(c), Int64(h), Int64(w), Int64(a[5]), Int64(a[6]), Int64(oh), Int64(ow))
        let (sh, sw, pt, pl) = (Int64(a[9]), Int64(a[10]), Int64(a[11]), Int64(a[12]))
        return { dlc_pool_backward(t, mx, nn, cc, hh, ww, kh, kw, ohh, oww, sh, sw, pt, pl, xs, gs, count, xp, gp, y) }
    }

    /// For a sum or mean of a kept 4-D value over (N, H, W) — a convolution's bias gradient — in
    /// a layout with the channels innermost (NHWC, or one block of channels): the rows of
    /// `rowLength` elements (the channels, padding included) it sums lane by lane; else nil.
    func channelSumRows(_ s: PlanStep) -> (rows: Int, rowLength: Int)? {
        let a = s.ints
        guard a[0] == DType.f32.code, a[1] <= 1, a[2] == 1, let strides = keptLayouts[s.inputs[0]]?.logicalStrides,
              strides[1] == 1 else { return nil }
        let xs = plan.buffers[s.inputs[0]].shape
        guard xs.count == 4, a[3] == xs[1], plan.buffers[s.outputs[0]].count == xs[1] else { return nil }
        // The reduced dimensions must be one run of rows: W rows of `strides[3]`, H of W, N of H·W.
        let rowLength = strides[3]
        guard xs[3] > 1, rowLength >= xs[1], strides[2] == xs[3] * rowLength || xs[2] == 1,
              strides[0] == xs[2] * xs[3] * rowLength || xs[0] == 1 else { return nil }
        return (xs[0] * xs[2] * xs[3], rowLength)
    }

    /// A fused elementwise step whose full-size operands all lie in one kept layout: which inputs
    /// are full (the rest are scalars), and that layout; nil when the step cannot run so.
    func flatRun(_ s: PlanStep) -> (full: [Bool], layout: KeptLayout)? {
        let a = s.ints
        let rank = a[1]
        let shape = Array(a[6..<(6 + rank)]), count = shape.reduce(1, *)
        guard a[0] == DType.f32.code else { return nil }
        // Row-major strides of the program's shape (dimensions of size 1 may have any stride).
        let inOrder = shape.indices.map { shape[($0 + 1)...].reduce(1, *) }
        var layout: KeptLayout?, fullShape: [Int] = []
        var full: [Bool] = []
        for (k, b) in s.inputs.enumerated() {
            let strides = Array(a[(6 + rank + k * rank)..<(6 + rank + (k + 1) * rank)])
            if strides.allSatisfy({ $0 == 0 }) { full.append(false); continue }
            guard plan.buffers[b].count == count, shape.indices.allSatisfy({ shape[$0] == 1 || strides[$0] == inOrder[$0] }),
                  let kept = keptLayouts[b] else { return nil }
            if var first = layout?.desc {
                var d = kept.desc
                guard dnnl_memory_desc_equal(&first, &d) != 0 else { return nil }
            }
            layout = kept
            fullShape = plan.buffers[b].shape
            full.append(true)
        }
        // The results take the operands' layout: they must have their shape too.
        guard let layout, s.outputs.allSatisfy({ plan.buffers[$0].shape == fullShape && !mustBePlain.contains($0) }) else {
            return nil
        }
        // Padding holds zeros: the program must keep them zeros, and a scalar operand could not.
        if layout.isPadded && (full.contains(false) || !mapsZerosToZeros(s)) { return nil }
        return (full, layout)
    }

    /// Whether the fused program of `s` gives 0 for every result when every input is 0.
    private func mapsZerosToZeros(_ s: PlanStep) -> Bool {
        let a = s.ints
        let (rank, nin, nconst, ninstr, nout) = (a[1], a[2], a[3], a[4], a[5])
        let code = Array(a[(6 + rank + nin * rank)...])
        let zeros = [Float](repeating: 0, count: nin + 1)
        var results = [Float](repeating: .nan, count: nout)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: (nin + nconst + ninstr) * Int(DLC_FUSED_TILE) * 8, alignment: 64)
        defer { scratch.deallocate() }
        let status = zeros.withUnsafeBufferPointer { z in
            results.withUnsafeMutableBufferPointer { r in
                let ins = [UnsafeRawPointer?](repeating: UnsafeRawPointer(z.baseAddress!), count: max(nin, 1))
                let outs = (0..<nout).map { UnsafeMutableRawPointer?(UnsafeMutableRawPointer(r.baseAddress! + $0)) }
                let shape: [Int64] = [1], strides = [Int64](repeating: 0, count: max(nin, 1))
                let ints = code.map(Int64.init)
                return dlc_fused(Int32(a[0]), 1, shape, Int32(nin), strides, ins, Int32(nconst), s.floats, Int32(ninstr), ints,
                                 Array(s.floats[nconst...]), Int32(nout), Array(ints[(6 * ninstr)...]), outs, scratch)
            }
        }
        return status == 0 && results.allSatisfy { $0 == 0 }
    }
}
