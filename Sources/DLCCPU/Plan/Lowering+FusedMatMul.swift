// Lowering of `fused_matmul` (made by the fuse-epilogue pass) to one `fusedMatmul` step: the
// product exactly as a `matmul` step computes it (sgemm), then the epilogue applied row by
// row while the rows are still in cache (`dlc_matmul_epilogue`, CKernels/epilogue.c), with
// the same float expressions as the unfused ops' kernels, so the fused plan gives the same
// bits as the unfused one.
//   ints:   [nsteps, (kind, operand, code)…(nsteps), the matmul step's ints…]
//           kind 0 adds a full-shape operand, 1 a vector over the last dimension, 2 scales,
//           3 applies activation `code` (0 relu, 1 leaky_relu, 2 elu, 3 tanh, 4 sigmoid,
//           5 gelu with the tanh approximation, 6 exact gelu); operand: the step input index
//           of the added tensor (-1 otherwise).
//   floats: [parameter per step] (the scale, or leaky_relu's / elu's alpha)
import DLCCore

/// The activation codes of `dlc_matmul_epilogue`.
let epilogueActivationCodes: [String: Int] = ["relu": 0, "leaky_relu": 1, "elu": 2, "tanh": 3, "sigmoid": 4]

extension Lowerer {
    mutating func lowerFusedMatMul(_ node: Node) throws {
        guard node.inputs.count >= 2 else { throw node.fail("needs the operands a and b") }
        let a = node.inputs[0], b = node.inputs[1]
        guard dtype(a) == .f32, dtype(b) == .f32 else {
            throw node.fail("element type \(dtype(a)) is not supported (the fused matmul kernel takes f32)")
        }
        let epilogue = try MatMulEpilogue(attribute: node.attributes["epilogue"], operands: node.inputs.count)
        let out = try shape(node.outputs[0])
        guard out.count >= 2, try shape(a).count >= 2, try shape(b).count >= 2 else {
            throw node.fail("needs operands of rank 2 or more")
        }
        let n = out[out.count - 1]
        var inputs = [a, b], stepInts: [Int] = [], floats: [Double] = []
        for step in epilogue.steps {
            switch step {
            case .add(let operand):
                let v = node.inputs[operand], s = try shape(v)
                guard dtype(v) == .f32 else { throw node.fail("the added operand \(operand) is \(dtype(v)), not f32") }
                let isVector = s.last == n && s.dropLast().allSatisfy { $0 == 1 } && s.count <= out.count
                guard s == out || isVector else {
                    throw node.fail("the added operand \(operand) has shape \(s); it must be the result's \(out) or [\(n)]")
                }
                stepInts += [s == out ? 0 : 1, inputs.count, -1]
                inputs.append(v)
                floats.append(0)
            case .scale(let c):
                stepInts += [2, -1, -1]
                floats.append(c)
            case .activation(let op, let alpha):
                let code = op == "gelu" ? (alpha != 0 ? 5 : 6) : epilogueActivationCodes[op]
                guard let code else { throw node.fail("the epilogue has no activation '\(op)'") }
                stepInts += [3, -1, code]
                floats.append(alpha)
            }
        }
        try emit(.fusedMatmul, node, inputs: inputs, ints: [epilogue.steps.count] + stepInts + matmulArguments(node), floats: floats)
    }
}
