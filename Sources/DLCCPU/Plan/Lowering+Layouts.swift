// Results kept in oneDNN's layouts: the `layout: native` the assign-layouts pass (or the model)
// set on a convolution, transposed convolution or pooling becomes `PlanStep.keepsNativeLayout`
// where some step reads the result in that layout. The executor then writes the result, in the
// layout the primitive chose, to memory of its own, creates the steps that can read it so for
// that layout, and writes the plain buffer too (`PlanStep.writesPlainCopy`) only when another
// step, an output or a view reads it (`OneDNN+Layouts.swift`).
import DLCCore

extension Lowerer {
    /// Marks the step just emitted for `node` when the node asks for its native layout.
    mutating func requestLayout(_ node: Node) {
        if ResultLayout(of: node) == .native { steps[steps.count - 1].keepsNativeLayout = true }
    }

    /// Keeps the marks some reader can use and decides which kept results also need their plain
    /// buffer: those `pinned` (outputs, losses, updates), viewed, or read by a step that takes
    /// only plain operands.
    mutating func settleLayouts(pinned: Set<Int>) {
        var readers = [[(step: Int, operand: Int)]](repeating: [], count: buffers.count)
        for (i, s) in steps.enumerated() {
            for (k, b) in s.inputs.enumerated() { readers[b].append((i, k)) }
        }
        let viewed = Set(buffers.compactMap(\.viewOf))
        // Marked steps are convolutions, deconvolutions and poolings (`requestLayout`), each with
        // one new arena result.
        for i in steps.indices where steps[i].keepsNativeLayout {
            let b = steps[i].outputs[0]
            let native = readers[b].map { steps[$0.step].readsNative(operand: $0.operand) }
            steps[i].keepsNativeLayout = native.contains(true)
            steps[i].writesPlainCopy = native.contains(true) && (pinned.contains(b) || viewed.contains(b) || native.contains(false))
        }
    }
}

extension PlanStep {
    /// Whether the executor binds operand `k` of this step in the layout a previous step left
    /// it in: the data of a convolution, deconvolution or pooling, either operand of a weight
    /// gradient.
    func readsNative(operand k: Int) -> Bool {
        switch kernel {
        case .convolution, .deconvolution, .pooling: k == 0
        case .convolutionBackwardWeight: k <= 1
        default: false
        }
    }
}

extension ExecutionPlan {
    /// The buffers kept in a oneDNN layout between steps: the results of the steps that keep
    /// their native layout.
    public func layoutChainBuffers() -> Set<Int> {
        Set(steps.lazy.filter(\.keepsNativeLayout).map { $0.outputs[0] })
    }

    /// The kept buffers whose plain bytes are written too.
    public func plainCopies() -> Set<Int> {
        Set(steps.lazy.filter { $0.keepsNativeLayout && $0.writesPlainCopy }.map { $0.outputs[0] })
    }
}
