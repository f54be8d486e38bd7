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
    /// The inputs that output `k` reads element for element, and the step's other inputs. A
    /// `fusedMulti` output belongs to one segment: it may overwrite only its own segment's
    /// operands, and none that another segment reads too. Other kernels: all inputs are its own.
    func inputsOfSegment(ofOutput k: Int) -> (own: [Int], others: [Int]) {
        guard kernel == .fusedMulti else { return (inputs, []) }
        let nin = ints[2], nout = ints[5], s = k / nout
        return (Array(inputs[(s * nin)..<((s + 1) * nin)]), Array(inputs[..<(s * nin)] + inputs[((s + 1) * nin)...]))
    }
}
