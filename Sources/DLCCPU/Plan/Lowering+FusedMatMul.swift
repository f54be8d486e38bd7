// Lowering of `fused_matmul` (made by the fuse-epilogue pass) to one `fusedMatmul` step: the
// product exactly as a `matmul` step computes it (sgemm), then the epilogue applied row by
// row while the rows are still in cache (`dlc_matmul_epilogue`, CKernels/epilogue.c), with
// the same float expressions as the unfused ops' kernels, so the fused plan gives the same
// bits as the unfused one.
//   ints:   [the epilogue's ints (Lowering+Epilogue.swift), the matmul step's ints…]
//   floats: the epilogue's floats
import DLCCore

extension Lowerer {
    mutating func lowerFusedMatMul(_ node: Node) throws {
        guard node.inputs.count >= 2 else { throw node.fail("needs the operands a and b") }
        let a = node.inputs[0], b = node.inputs[1]
        guard dtype(a) == .f32, dtype(b) == .f32 else {
            throw node.fail("element type \(dtype(a)) is not supported (the fused matmul kernel takes f32)")
        }
        let epilogue = try Epilogue(attribute: node.attributes["epilogue"], operands: node.inputs.count)
        let out = try shape(node.outputs[0])
        guard out.count >= 2, try shape(a).count >= 2, try shape(b).count >= 2 else {
            throw node.fail("needs operands of rank 2 or more")
        }
        let n = out[out.count - 1]
        var inputs = [a, b]
        let (ints, floats) = try epilogueArguments(node, epilogue, out: out, inputs: &inputs, vector: "[\(n)]") { s in
            s.last == n && s.dropLast().allSatisfy { $0 == 1 } && s.count <= out.count
        }
        try emit(.fusedMatmul, node, inputs: inputs, ints: ints + matmulArguments(node), floats: floats)
    }
}
