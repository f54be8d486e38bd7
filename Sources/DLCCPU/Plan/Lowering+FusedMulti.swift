// Lowering of `fused_elementwise_multi` (made by the fuse-horizontal pass) to one `fusedMulti`
// step, the kernel `dlc_fused_multi`:
//   ints:   [dtype, nseg, nin, nconst, ninstr, nout, code…(6·ninstr), resultRegisters…(nout),
//            counts…(nseg), full…(nseg·nin: 1 when the operand covers its segment, 0 a scalar)]
//   floats: [constants…(nconst), alpha, beta per instruction…]
// The step's inputs are segment s's operands at s·nin…, its outputs segment s's results at
// s·nout…; registers as for `fused` (Lowering+Fused.swift).
import DLCCore

extension Lowerer {
    mutating func lowerFusedMulti(_ node: Node) throws {
        let layout: FusedMultiLayout
        do { layout = try FusedMultiLayout(node.attributes, operands: node.inputs.count) } catch let e as DLCError { throw node.fail(e.message) }
        let d = layout.dtype, nseg = layout.shapes.count, nin = layout.operandsPerSegment, nout = layout.program.results.count
        guard node.outputs.count == nseg * nout else {
            throw node.fail("\(node.outputs.count) results for \(nseg) segments of \(nout) results")
        }
        var counts: [Int] = [], full: [Int] = []
        for s in 0..<nseg {
            let out = try shape(node.outputs[s * nout])
            for r in 0..<nout where try shape(node.outputs[s * nout + r]) != out || dtype(node.outputs[s * nout + r]) != d {
                throw node.fail("the results of segment \(s) must all be \(d)\(out)")
            }
            counts.append(out.reduce(1, *))
            for i in 0..<nin {
                let x = node.inputs[s * nin + i], xs = try shape(x)
                guard dtype(x) == d, xs == out || xs.isEmpty else {
                    throw node.fail("operand \(i) of segment \(s) is \(dtype(x))\(xs); it must be \(d)\(out) or a \(d) scalar")
                }
                full.append(xs == out ? 1 : 0)
            }
        }
        let k = try FusedKernelCode(layout.program, operands: nin, dtype: d, node: node)
        try emit(.fusedMulti, node, ints: [d.code, nseg, nin, k.constants.count, layout.program.instructions.count, nout]
                 + k.code + k.resultRegisters + counts + full, floats: k.constants + k.immediates)
    }
}

extension PlanStep {
    /// The inputs output `k` reads: for a `fusedMulti` step its own segment's operands, for any
    /// other step all of them.
    func inputsOfSegment(ofOutput k: Int) -> ArraySlice<Int> {
        guard kernel == .fusedMulti else { return inputs[...] }
        let nin = ints[2], s = k / ints[5]
        return inputs[(s * nin)..<((s + 1) * nin)]
    }

    /// For each output, the roots (`root` maps a buffer to the one owning its bytes) of the
    /// inputs it may overwrite element for element: for a `fusedMulti` step those of its own
    /// segment that no other segment reads, for any other step all of them. Linear in the
    /// inputs (a training step's update has one segment per parameter).
    func inPlaceCandidates(root: (Int) -> Int) -> [[Int]] {
        let roots = inputs.map(root)
        guard kernel == .fusedMulti else { return outputs.map { _ in roots } }
        let nseg = ints[1], nin = ints[2], nout = ints[5]
        var segmentsReading: [Int: Int] = [:]
        for s in 0..<nseg { for r in Set(roots[(s * nin)..<((s + 1) * nin)]) { segmentsReading[r, default: 0] += 1 } }
        return outputs.indices.map { k in
            let s = k / nout
            return roots[(s * nin)..<((s + 1) * nin)].filter { segmentsReading[$0] == 1 }
        }
    }
}
