// Lowering of `fused_convolution` (made by the fuse-epilogue pass) to one `convolution` step
// whose oneDNN primitive applies the epilogue as post-ops
// (OneDNN+PostOps.swift): a residual add as oneDNN's `sum` (the residual is copied into the
// destination before the primitive runs), a per-channel add as a `binary_add` of a
// [1, C, 1, 1] tensor, a scaling as the `linear` eltwise, activations as their eltwise
// algorithms. The bias and the post-ops act on the convolution's float accumulator before
// it is stored, in the unfused order.
//   ints:   [the convolution step's ints (Lowering+Heavy.swift), the epilogue's ints
//           (Lowering+Epilogue.swift)]; inputs: x, weight, bias (if any), then the added tensors
//   floats: the epilogue's floats
import DLCCore

extension Lowerer {
    mutating func lowerFusedConvolution(_ node: Node) throws {
        let hasBias = node.bool("bias")
        let first = hasBias ? 3 : 2
        guard node.inputs.count >= first else { throw node.fail("needs x, the weight\(hasBias ? " and the bias" : "")") }
        try require(node, node.inputs[1], [.f32])
        let epilogue = try Epilogue(attribute: node.attributes["epilogue"], operands: node.inputs.count, firstOperand: first,
                                    op: node.op)
        let out = try shape(node.outputs[0])
        guard out.count == 4 else { throw node.fail("needs a result of rank 4, found \(out)") }
        var inputs = Array(node.inputs.prefix(first))
        let channels = out[1]
        let (ints, floats) = try epilogueArguments(node, epilogue, out: out, inputs: &inputs, vector: "[1, \(channels), 1, 1]") { s in
            s.count <= 4 && (Array(repeating: 1, count: 4 - s.count) + s) == [1, channels, 1, 1]
        }
        let residuals = stride(from: 1, to: ints.count, by: 3).filter { ints[$0] == EpilogueKind.add.rawValue }.count
        guard residuals <= 1 else { throw node.fail("adds \(residuals) tensors of the result's shape; oneDNN adds one (its sum post-op)") }
        try emit(.convolution, node, inputs: inputs,
                 ints: try convolutionArguments(node, transposed: false, hasBias: hasBias) + ints, floats: floats)
        requestLayout(node)
    }
}
