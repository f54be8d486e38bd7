// Binding of `fused` steps (see Lowering+Fused.swift) to dlc_fused, and of `fusedMulti` steps
// (Lowering+FusedMulti.swift) to dlc_fused_multi.
import CKernels
import DLCCore

extension Executor {
    /// Binds a `fused` step; one whose full-size operands all lie in one kept oneDNN layout (the
    /// `kept` operands, as `flatRun` found them) runs over that memory as one flat run — `dlc_fused_multi` over one segment, so on every
    /// thread — and keeps its results in that layout (KernelLayouts.swift).
    func bindFused(_ s: PlanStep, kept: Set<Int>) throws -> () -> Int32 {
        if let first = kept.min() {
            return try bindFlatRun(s, (full: s.inputs.indices.map(kept.contains), layout: keptLayouts[s.inputs[first]]!))
        }
        let a = s.ints
        let (dtype, rank, nin, nconst, ninstr, nout) = (Int32(a[0]), a[1], a[2], a[3], a[4], a[5])
        let ints = stable(a[6...])
        let shape = ints, strides = shape + rank, code = strides + nin * rank, outRegs = code + 6 * ninstr
        let doubles = UnsafeMutableRawPointer(stable(s.floats.map { Int(Int64(bitPattern: $0.bitPattern)) }[...]))
            .assumingMemoryBound(to: Double.self)
        let scratch = UnsafeMutableRawPointer(stable(Array(repeating: 0, count: (nin + nconst + ninstr) * Int(DLC_FUSED_TILE))[...]))
        // Pointer arrays in the executor's argument blocks (64-bit addresses).
        let ins = UnsafeRawPointer(stable(s.inputs.map { Int(bitPattern: pointer($0)) }[...]))
            .assumingMemoryBound(to: UnsafeRawPointer?.self)
        let outs = UnsafeRawPointer(stable(s.outputs.map { Int(bitPattern: pointer($0)) }[...]))
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let (r, ni, nc, nn, no) = (Int32(rank), Int32(nin), Int32(nconst), Int32(ninstr), Int32(nout))
        return {
            dlc_fused(dtype, r, shape, ni, strides, ins, nc, doubles, nn, code, doubles + nconst, no, outRegs, outs, scratch)
        }
    }

    /// A fused step over kept operands: its program over the layout's memory as one segment.
    private func bindFlatRun(_ s: PlanStep, _ run: (full: [Bool], layout: KeptLayout)) throws -> () -> Int32 {
        let a = s.ints
        let (dtype, rank, nin, nconst, ninstr, nout) = (Int32(a[0]), a[1], a[2], a[3], a[4], a[5])
        let inputs = s.inputs.enumerated().map { k, b in run.full[k] ? keptLayouts[b]!.pointer : pointer(b) }
        var donated: Set<Int> = []
        let outputs = try s.outputs.map { try keptResultMemory(s, $0, full: run.full, layout: run.layout, donated: &donated) }
        let code = stable(a[(6 + rank + nin * rank)...]), outRegs = code + 6 * ninstr
        let counts = stable([run.layout.elements][...]), full = stable(run.full.map { $0 ? 1 : 0 }[...])
        let doubles = UnsafeMutableRawPointer(stable(s.floats.map { Int(Int64(bitPattern: $0.bitPattern)) }[...]))
            .assumingMemoryBound(to: Double.self)
        let ins = UnsafeRawPointer(stable(inputs.map { Int(bitPattern: $0) }[...])).assumingMemoryBound(to: UnsafeRawPointer?.self)
        let outs = UnsafeRawPointer(stable(outputs.map { Int(bitPattern: $0) }[...]))
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let (ni, nc, nn, no) = (Int32(nin), Int32(nconst), Int32(ninstr), Int32(nout))
        return { dlc_fused_multi(dtype, 1, counts, ni, full, ins, nc, doubles, nn, code, doubles + nconst, no, outRegs, outs) }
    }
}

extension Executor {
    /// Binds a `fusedMulti` step (see Lowering+FusedMulti.swift) to dlc_fused_multi.
    func bindFusedMulti(_ s: PlanStep) -> () -> Int32 {
        let a = s.ints
        let (dtype, nseg, nin, nconst, ninstr, nout) = (Int32(a[0]), a[1], a[2], a[3], a[4], a[5])
        let code = stable(a[6...]), outRegs = code + 6 * ninstr, counts = outRegs + nout, full = counts + nseg
        let doubles = UnsafeMutableRawPointer(stable(s.floats.map { Int(Int64(bitPattern: $0.bitPattern)) }[...]))
            .assumingMemoryBound(to: Double.self)
        // Pointer arrays in the executor's argument blocks (64-bit addresses).
        let ins = UnsafeRawPointer(stable(s.inputs.map { Int(bitPattern: pointer($0)) }[...]))
            .assumingMemoryBound(to: UnsafeRawPointer?.self)
        let outs = UnsafeRawPointer(stable(s.outputs.map { Int(bitPattern: pointer($0)) }[...]))
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let (ns, ni, nc, nn, no) = (Int32(nseg), Int32(nin), Int32(nconst), Int32(ninstr), Int32(nout))
        return {
            dlc_fused_multi(dtype, ns, counts, ni, full, ins, nc, doubles, nn, code, doubles + nconst, no, outRegs, outs)
        }
    }
}
