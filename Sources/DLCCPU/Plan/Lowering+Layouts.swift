// Results kept in oneDNN's layouts: the `layout: native` the assign-layouts pass (or the model)
// set on a convolution, transposed convolution or pooling becomes `PlanStep.keepsNativeLayout`
// where the plan allows it. The executor then writes such a result to memory of its own in the
// layout the primitive chose and creates the steps that read it for that layout
// (`OneDNN+Layouts.swift`).
import DLCCore

extension Lowerer {
    /// Marks the step just emitted for `node` when the node asks for its native layout.
    mutating func requestLayout(_ node: Node) {
        if ResultLayout(of: node) == .native { steps[steps.count - 1].keepsNativeLayout = true }
    }

    /// Drops the marks the plan cannot honour: a result that is `pinned` (an output, loss or
    /// update), has views (a reshape or flatten reads its bytes as NCHW), or is read by any step
    /// other than a convolution, deconvolution or pooling as its data operand (operand 0). The
    /// pass checks the same on the graph; this holds for graphs a model or an older pass wrote.
    mutating func keepOnlyHonourableLayouts(pinned: Set<Int>) {
        let layoutKernels: Set<KernelKind> = [.convolution, .deconvolution, .pooling]
        var readers = [[(step: Int, operand: Int)]](repeating: [], count: buffers.count)
        for (i, s) in steps.enumerated() {
            for (k, b) in s.inputs.enumerated() { readers[b].append((i, k)) }
        }
        let viewed = Set(buffers.compactMap(\.viewOf))
        for i in steps.indices where steps[i].keepsNativeLayout {
            let b = steps[i].outputs[0], r = readers[b]
            let honourable = layoutKernels.contains(steps[i].kernel) && steps[i].outputs.count == 1
                && !pinned.contains(b) && !viewed.contains(b) && buffers[b].region == .arena && buffers[b].viewOf == nil
                && !r.isEmpty && r.allSatisfy { layoutKernels.contains(steps[$0.step].kernel) && $0.operand == 0 }
            if !honourable { steps[i].keepsNativeLayout = false }
        }
    }
}

extension ExecutionPlan {
    /// The buffers that stay in a oneDNN layout between steps: the results of the steps that
    /// keep their native layout.
    public func layoutChainBuffers() -> Set<Int> {
        Set(steps.lazy.filter(\.keepsNativeLayout).map { $0.outputs[0] })
    }
}
