// Lowering of `fused_elementwise` (made by the fuse-elementwise pass) to one `fused` step:
//   ints:   [dtype, rank, nin, nconst, ninstr, nout, shape…(rank), strides…(nin·rank),
//            code…(6·ninstr: kind, op, dst, a, b, c), resultRegisters…(nout)]
//   floats: [constants…(nconst), alpha, beta per instruction…]
// Registers: the operands, then the constants, then one per instruction (see dlc_fused).
import DLCCore

/// A fused program in the form of the C kernels (`dlc_fused`, `dlc_fused_multi`): the distinct
/// inlined constants, six code words and two immediates per instruction, the result registers.
struct FusedKernelCode {
    var constants: [Double] = []
    var code: [Int] = []
    var immediates: [Double] = []
    var resultRegisters: [Int] = []

    /// Encodes `program` for `operands` operand registers of element type `d`.
    init(_ program: FusedProgram, operands nin: Int, dtype d: DType, node: Node) throws {
        for ins in program.instructions {
            for case .constant(let c) in ins.operands where !constants.contains(c) { constants.append(c) }
        }
        let base = nin + constants.count
        for (i, ins) in program.instructions.enumerated() {
            let regs = try ins.operands.map { o -> Int in
                switch o {
                case .input(let k):
                    guard k < nin else { throw node.fail("instruction \(i) reads operand \(k) of \(nin)") }
                    return k
                case .constant(let c): return nin + constants.firstIndex(of: c)!
                case .temp(let k): return base + k
                }
            }
            var kind = 0, op = 0, alpha = 0.0, beta = 0.0
            if let c = unaryCodes[ins.op] {
                op = c
                switch ins.op {
                case "gelu": alpha = ins.attributes["approximate"]?.boolValue == true ? 1 : 0
                case "leaky_relu", "elu": alpha = ins.attributes["alpha"]?.doubleValue ?? 0
                case "clip": alpha = ins.attributes["min"]?.doubleValue ?? 0; beta = ins.attributes["max"]?.doubleValue ?? 0
                default: break
                }
            } else if let c = binaryCodes[ins.op] {
                kind = 1; op = c
            } else if ins.op == "where" {
                kind = 2
            } else if ins.op == "cast" {
                op = ins.dtype == .bool ? 24 : 23
            } else {
                throw node.fail("the fused kernel has no instruction '\(ins.op)'")
            }
            guard ins.dtype == d || ins.dtype == .bool else { throw node.fail("instruction \(i) has element type \(ins.dtype)") }
            guard regs.count == (kind == 0 ? 1 : kind == 1 ? 2 : 3), regs.allSatisfy({ $0 < base + i && $0 >= 0 }) else {
                throw node.fail("instruction \(i) ('\(ins.op)') has bad operands")
            }
            code += [kind, op, base + i, regs[0], regs.count > 1 ? regs[1] : -1, regs.count > 2 ? regs[2] : -1]
            immediates += [alpha, beta]
        }
        resultRegisters = program.results.map { base + $0 }
    }
}

extension Lowerer {
    mutating func lowerFused(_ node: Node) throws {
        let program = try FusedProgram(attributes: node.attributes)
        let d = dtype(node.outputs[0])
        guard d.isFloat else { throw node.fail("element type \(d) is not supported (the fused kernel takes f32, f64)") }
        let out = try shape(node.outputs[0])
        for o in node.outputs where try shape(o) != out { throw node.fail("the results of a fused node must have one shape") }
        var (shp, st) = collapse(out, try node.inputs.map { broadcastStrides(try shape($0), to: out) })
        if shp.isEmpty { shp = [1]; st = st.map { _ in [0] } }
        guard shp.count <= 8 else { throw node.fail("more than 8 broadcast dimensions") }
        let nin = node.inputs.count
        let k = try FusedKernelCode(program, operands: nin, dtype: d, node: node)
        try emit(.fused, node, ints: [d.code, shp.count, nin, k.constants.count, program.instructions.count, program.results.count]
                 + shp + st.flatMap { $0 } + k.code + k.resultRegisters, floats: k.constants + k.immediates)
    }
}
