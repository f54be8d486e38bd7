// Our own kernels on oneDNN's layouts, so a training step's gradients stay in the layouts of
// the convolutions around them instead of being reordered to plain and back at each kernel.
//
// A value a oneDNN step left in its primitive's layout (`keptLayouts`, OneDNN+Layouts.swift)
// is read there, without a plain copy, by
// - the pooling gradient (`dlc_pool_backward`), for x and g, in planes (NCHW), NHWC or channel
//   blocks (any number; g in x's blocks or plain); its result takes x's layout and is kept too;
// - a fused elementwise program all of whose full-size operands share one layout: the program
//   runs over the memory as one flat run, padding included (so a padded layout needs a program
//   that maps zeros to zeros, checked once), and its results are kept in that layout; so does a
//   single unary or binary op (a ReLU after batch norm, a residual sum) whose operands all do;
// - a per-channel sum over (N, H, W) (a convolution's bias gradient) in a layout with the
//   channels innermost, lane by lane (`dlc_channel_sum`);
// - batch normalization's training kernels, for x (and dy), in planes or channel blocks; the
//   result takes x's layout (BatchNormBinding.swift).
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
            // x and the result share a layout: x is read kept only when the result may be kept;
            // g kept only in x's layout family (the same channel blocks, or none).
            let x = keptLayouts[s.inputs[0]].flatMap { poolStrides($0, plan.buffers[s.inputs[0]].shape) }
            var k: Set<Int> = []
            if x != nil && !mustBePlain.contains(s.outputs[0]) { k.insert(0) }
            if let g = keptLayouts[s.inputs[1]].flatMap({ poolStrides($0, plan.buffers[s.inputs[1]].shape) }),
               g.block == 0 || g.block == (k.contains(0) ? x!.block : 0) { k.insert(1) }
            return k
        case .reduce:
            return channelSumRows(s) != nil ? [0] : []
        case .batchNormTraining, .batchNormBackward:
            return batchNormKeptOperands(s)
        case .unary, .binary:
            return elementwiseRun(s) != nil ? Set(s.inputs.indices) : []
        case .fused:
            guard let run = flatRun(s) else { return [] }
            return Set(s.inputs.indices.filter { run.full[$0] })
        default:
            return []
        }
    }

    /// Reorders that write the plain bytes of the kept values step `s` reads in the plain layout
    /// (directly or through a view) and that no earlier step wrote; run before the step.
    /// A value kept in its own arena memory gets its plain bytes in a block of the shadow pool,
    /// which `pointer` then gives for it.
    func plainConversions(_ s: PlanStep, kept: Set<Int>) throws -> [DNNLExec] {
        var execs: [DNNLExec] = []
        for (k, b) in s.inputs.enumerated() where !kept.contains(k) {
            let root = viewRoot(b)
            guard let layout = keptLayouts[root], !plainReady.contains(root) else { continue }
            plainReady.insert(root)
            let ctx = try context()
            var plain = try ctx.desc(plan.buffers[root].shape, dnnl_nchw), d = layout.desc
            if dnnl_memory_desc_equal(&plain, &d) != 0 && layout.pointer == pointer(root) { continue }
            if layout.pointer == arenaPointer(root) { plainElsewhere[root] = ctx.shadow(plain, owner: root) }
            execs.append(try ctx.reorder(from: (layout.desc, try ctx.memory(layout.desc, layout.pointer)),
                                         to: (plain, try ctx.memory(plain, pointer(root)))))
        }
        return execs
    }

    /// Whether value `b` may be kept in its own arena memory, in a layout of at most its plain
    /// size without padding (the plan reserved that memory for its lifetime and nobody reads it
    /// plain there): not a view or viewed, not read after the run, with no plain copy written
    /// after its producer, not a state-derived result. Its plain bytes, if a step needs them
    /// later, go elsewhere (`plainConversions`).
    func mayKeepInPlace(_ b: Int, _ desc: dnnl_memory_desc_t) -> Bool {
        var d = desc
        let buffer = plan.buffers[b]
        return buffer.region == .arena && buffer.viewOf == nil && !viewed.contains(b) && !mustBePlain.contains(b)
            && !plainCopies.contains(b) && !stateDerivedResults.contains(b) && dlc_dnnl_is_padded(&d) == 0
            && Int(dnnl_memory_desc_get_size(&d)) <= buffer.bytes
    }

    /// Whether at least as many of `operands` lie in `layout` as would have to be converted into it.
    func mostlyIn(_ layout: KeptLayout, _ operands: [Int]) -> Bool {
        var target = layout.desc
        let inside = operands.filter { b in
            guard var d = keptLayouts[b]?.desc else { return false }
            return dnnl_memory_desc_equal(&d, &target) != 0
        }.count
        return inside >= operands.count - inside
    }

    /// For an elementwise step running flat on kept operands (`flatRun`, `elementwiseRun`): reorders
    /// that bring each full-size operand not yet in the first kept operand's layout — plain, or
    /// kept in another — into that layout, run before the step. The converted value stays kept
    /// there for later readers (its plain bytes, if it had them, stay valid too).
    func layoutConversions(_ s: PlanStep, kept: Set<Int>) throws -> [DNNLExec] {
        guard [.fused, .unary, .binary].contains(s.kernel),
              let first = kept.sorted().lazy.compactMap({ self.keptLayouts[s.inputs[$0]] }).first else { return [] }
        var target = first.desc
        var execs: [DNNLExec] = []
        for k in kept.sorted() {
            let b = s.inputs[k]
            if var d = keptLayouts[b]?.desc, dnnl_memory_desc_equal(&d, &target) != 0 { continue }
            let ctx = try context()
            let source = try keptLayouts[b].map { ($0.desc, $0.pointer) } ?? (ctx.desc(plan.buffers[b].shape, dnnl_nchw), pointer(b))
            if keptLayouts[b] == nil { plainReady.insert(b) }
            let converted = try keepResult(b, like: target, inPlace: false)
            execs.append(try ctx.reorder(from: (source.0, try ctx.memory(source.0, source.1)),
                                         to: (target, try ctx.memory(target, converted))))
        }
        return execs
    }

    /// Keeps result `b` of one of our kernels in `desc`: in its own arena memory where it may
    /// (`mayKeepInPlace`, unless `inPlace` is false), else in memory of the shadow pool (or
    /// zeroed memory of its own, for padded layouts and state-derived results).
    func keepResult(_ b: Int, like desc: dnnl_memory_desc_t, inPlace: Bool = true) throws -> UnsafeMutableRawPointer {
        let p = inPlace && mayKeepInPlace(b, desc) ? arenaPointer(b)
            : try context().shadow(desc, owner: stateDerivedResults.contains(b) ? nil : b)
        keptLayouts[b] = KeptLayout(desc: desc, pointer: p)
        return p
    }
}

extension Executor {
    /// The pooling gradient's view of a kept 4-D layout: strides of (n, c, h, w) and, for
    /// several channel blocks, the channels a block and the blocks' distance (block 0: one
    /// block or none); nil for a layout it cannot address.
    func poolStrides(_ layout: KeptLayout, _ shape: [Int]) -> (strides: [Int], block: Int, blockStride: Int)? {
        guard let l = layout.channelLayout, shape.count == 4 else { return nil }
        let (c, w) = (shape[1], shape[3])
        // Planes (NCHW): a channel stride. Channels side by side: one block or several.
        if l[3] == 1 { return ([l[0], l[1], w * l[2], l[2]], 0, 0) }
        return ([l[0], 1, w * l[2], l[2]], l[3] >= c ? 0 : l[3], l[1])
    }

    /// A pooling gradient: x, g and the result by strides (x and the result in x's layout when
    /// x is among the `kept` operands).
    func bindPoolingBackward(_ s: PlanStep, kept: Set<Int>) throws -> () -> Int32 {
        let a = s.ints
        let (n, c, h, w, oh, ow) = (a[1], a[2], a[3], a[4], a[7], a[8])
        let plainX = ([c * h * w, h * w, w, 1], 0, 0), plainG = ([c * oh * ow, oh * ow, ow, 1], 0, 0)
        let x = kept.contains(0) ? keptLayouts[s.inputs[0]]! : nil, g = kept.contains(1) ? keptLayouts[s.inputs[1]]! : nil
        let xl = x.flatMap { poolStrides($0, plan.buffers[s.inputs[0]].shape) } ?? plainX
        let gl = g.flatMap { poolStrides($0, plan.buffers[s.inputs[1]].shape) } ?? plainG
        // g's part for the next block of x: its next block, or the next xBlock channels.
        let gBlockStride = xl.1 == 0 ? 0 : gl.1 == 0 ? xl.1 * gl.0[1] : gl.2
        let xs = stable((xl.0 + [xl.1, xl.2])[...]), gs = stable((gl.0 + [gBlockStride])[...])
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

    /// A fused elementwise step with a full-size operand in a kept layout: which inputs are full
    /// (the rest are scalars), and the first such operand's layout, in which the step runs (the
    /// other full-size operands converted into it); nil when the step cannot run so.
    func flatRun(_ s: PlanStep) -> (full: [Bool], layout: KeptLayout)? {
        let a = s.ints
        let rank = a[1]
        let shape = Array(a[6..<(6 + rank)]), count = shape.reduce(1, *)
        guard a[0] == DType.f32.code else { return nil }
        var layout: KeptLayout?, fullShape: [Int] = []
        var full: [Bool] = []
        for (k, b) in s.inputs.enumerated() {
            let strides = Array(a[(6 + rank + k * rank)..<(6 + rank + (k + 1) * rank)])
            if strides.allSatisfy({ $0 == 0 }) { full.append(false); continue }
            guard plan.buffers[b].count == count, Self.readsInOrder(shape, strides) else { return nil }
            if layout == nil, let kept = keptLayouts[b] { (layout, fullShape) = (kept, plan.buffers[b].shape) }
            full.append(true)
        }
        // The other full-size operands are converted into that layout (`layoutConversions`) —
        // when they are not more than those already in it (else the kept ones go plain).
        guard let layout, s.inputs.indices.allSatisfy({ !full[$0] || plan.buffers[s.inputs[$0]].shape == fullShape }),
              mostlyIn(layout, s.inputs.indices.filter { full[$0] }.map { s.inputs[$0] }) else { return nil }
        // The results take the operands' layout: they must have their shape too.
        guard s.outputs.allSatisfy({ plan.buffers[$0].shape == fullShape && !mustBePlain.contains($0) }) else {
            return nil
        }
        // Padding holds zeros: the program must keep them zeros, and a scalar operand could not.
        if layout.isPadded && (full.contains(false) || !mapsZerosToZeros(s)) { return nil }
        return (full, layout)
    }

    /// Whether an operand read with `strides` over `shape` is read in its own row-major order
    /// (dimensions of size 1 may have any stride), so a flat run may read it element by element.
    static func readsInOrder(_ shape: [Int], _ strides: [Int]) -> Bool {
        shape.indices.allSatisfy { shape[$0] == 1 || strides[$0] == shape[($0 + 1)...].reduce(1, *) }
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

extension Executor {
    /// For a unary or binary f32 step whose operands are all full-size, one of them kept: the
    /// first kept one's layout (the op then runs over its memory as one flat run, the other
    /// operand converted into it); else nil.
    func elementwiseRun(_ s: PlanStep) -> KeptLayout? {
        let a = s.ints, out = plan.buffers[s.outputs[0]]
        guard a[0] == DType.f32.code, out.dtype == .f32, !mustBePlain.contains(s.outputs[0]),
              let layout = s.inputs.lazy.compactMap({ self.keptLayouts[$0] }).first,
              s.inputs.allSatisfy({ plan.buffers[$0].shape == out.shape }), mostlyIn(layout, s.inputs) else { return nil }
        if s.kernel == .binary {
            // A full-size operand could still be read transposed.
            let rank = a[2], shape = Array(a[3..<(3 + rank)])
            for k in 0..<2 where !Self.readsInOrder(shape, Array(a[(3 + rank * (k + 1))..<(3 + rank * (k + 2))])) { return nil }
        }
        // Padding holds zeros, and must still after the op.
        if layout.isPadded {
            var zeros: [Float] = [0, 0], result: [Float] = [.nan]
            let status = zeros.withUnsafeMutableBufferPointer { z in
                result.withUnsafeMutableBufferPointer { r in
                    s.kernel == .unary ? dlc_unary(Int32(a[0]), Int32(a[1]), 1, z.baseAddress!, r.baseAddress!, s.floats[0], s.floats[1])
                        : dlc_binary(Int32(a[0]), Int32(a[1]), 1, [1], [0], [0], z.baseAddress!, z.baseAddress! + 1, r.baseAddress!)
                }
            }
            guard status == 0, result[0] == 0 else { return nil }
        }
        return layout
    }

    /// A unary or binary step over kept operands (`elementwiseRun`): one flat run over the
    /// layout's memory, the result kept in that layout.
    func bindKeptElementwise(_ s: PlanStep) throws -> () -> Int32 {
        let layout = keptLayouts[s.inputs[0]]!
        let inputs = s.inputs.map { UnsafeRawPointer(keptLayouts[$0]!.pointer) }
        var donated: Set<Int> = []
        let y = try keptResultMemory(s, s.outputs[0], full: s.inputs.map { _ in true }, layout: layout, donated: &donated)
        let (t, op, n, al, be) = (Int32(s.ints[0]), Int32(s.ints[1]), Int64(layout.elements), s.floats.first ?? 0, s.floats.dropFirst().first ?? 0)
        if s.kernel == .unary { return { dlc_unary(t, op, n, inputs[0], y, al, be) } }
        let shape = stable([layout.elements][...]), ones = stable([1][...])
        return { dlc_binary(t, op, 1, shape, ones, ones, inputs[0], inputs[1], y) }
    }

    /// Memory for result `o` of an elementwise step running flat on kept operands: the memory of
    /// a full-size input the plan writes it over (the step is in place and that input dies here;
    /// it is still in cache; its cached conversions are forgotten when its shadows are released
    /// after this step), else what `keepResult` gives.
    func keptResultMemory(_ s: PlanStep, _ o: Int, full: [Bool], layout: KeptLayout,
                          donated: inout Set<Int>) throws -> UnsafeMutableRawPointer {
        let donor = s.inPlace ? s.inputs.indices.first { k in
            let b = plan.buffers[s.inputs[k]]
            return full[k] && !donated.contains(k) && b.region == .arena && b.offset == plan.buffers[o].offset
        } : nil
        // (Not into o's own arena memory unless o may be kept there.)
        guard let donor, keptLayouts[s.inputs[donor]]!.pointer != arenaPointer(o) || mayKeepInPlace(o, layout.desc) else {
            return try keepResult(o, like: layout.desc)
        }
        donated.insert(donor)
        let memory = keptLayouts[s.inputs[donor]]!.pointer
        keptLayouts[o] = KeptLayout(desc: layout.desc, pointer: memory)
        dnnl?.transferShadow(at: memory, from: s.inputs[donor], to: o)
        return memory
    }
}
