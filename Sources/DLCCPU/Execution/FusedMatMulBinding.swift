// Binding of `fusedMatmul` steps (see Lowering+FusedMatMul.swift): the matmul step's call,
// then dlc_matmul_epilogue over its result.
import CKernels
import DLCCore

extension Executor {
    func bindFusedMatMul(_ s: PlanStep) -> () -> Int32 {
        let a = s.ints, steps = a[0]
        let x = s.inputs.map { UnsafeRawPointer(pointer($0)) }, y = pointer(s.outputs[0])
        let product = bindMatMul(Array(a[(1 + 3 * steps)...]), x, [y])
        var codes: [Int] = [], operands: [Int] = []
        for i in 0..<steps {
            codes += [a[1 + 3 * i], a[3 + 3 * i]]
            let k = a[2 + 3 * i]
            operands.append(k >= 0 ? Int(bitPattern: x[k]) : 0)
        }
        let codeBlock = stable(codes[...])
        let operandBlock = UnsafeRawPointer(stable(operands[...])).assumingMemoryBound(to: UnsafePointer<Float>?.self)
        let params = UnsafeRawPointer(stable(s.floats.map { Int(Int64(bitPattern: $0.bitPattern)) }[...]))
            .assumingMemoryBound(to: Double.self)
        let out = plan.buffers[s.outputs[0]]
        let n = Int64(out.shape.last ?? 1), rows = Int64(out.count) / max(n, 1), count = Int32(steps)
        let result = y.assumingMemoryBound(to: Float.self)
        return {
            let status = product()
            return status != 0 ? status : dlc_matmul_epilogue(rows, n, result, count, codeBlock, operandBlock, params)
        }
    }
}
