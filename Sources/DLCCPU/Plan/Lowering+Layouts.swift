// Results kept in oneDNN's layouts: the `layout: native` the assign-layouts pass (or the model)
// set on a convolution, transposed convolution or pooling becomes `PlanStep.keepsNativeLayout`
// where some step reads the result in that layout. The executor then writes the result, in the
// layout the primitive chose, to memory of its own, creates the steps that can read it so for
// that layout, and writes the plain buffer too (`PlanStep.writesPlainCopy`) only when an
// output, a view or a step that never reads kept layouts reads it (`OneDNN+Layouts.swift`);
// the kernels of our own that may (`mayReadNative`) get the plain bytes from the executor
// where the layout turns out to be one they cannot read (KernelLayouts.swift).
import DLCCore

extension Lowerer {
    /// Marks the step just emitted for `node` when the node asks for its native layout.
    mutating func requestLayout(_ node: Node) {
        if ResultLayout(of: node) == .native { steps[steps.count - 1].keepsNativeLayout = true }
    }

    /// Keeps the marks some reader can use and decides which kept results also need their plain
    /// buffer written after their step: those `pinned` (outputs, losses, updates), viewed, or read
    /// by a step that takes only plain operands.
    mutating func settleLayouts(pinned: Set<Int>) {
        var readers = [[(step: Int, operand: Int)]](repeating: [], count: buffers.count)
        for (i, s) in steps.enumerated() {
            for (k, b) in s.inputs.enumerated() { readers[b].append((i, k)) }
        }
        let viewed = Set(buffers.compactMap(\.viewOf))
        // Read natively: by a step that binds the operand in a kept layout, or by an elementwise
        // step (fused, unary, binary) whose result is read natively (it runs flat on its
        // operands' layout).
        var nativelyRead = [Bool](repeating: false, count: buffers.count)
        for s in steps.reversed() {
            let through = [.fused, .unary, .binary].contains(s.kernel) && s.outputs.contains { nativelyRead[$0] }
            for (k, b) in s.inputs.enumerated() where through || s.readsNative(operand: k) { nativelyRead[b] = true }
        }
        // Marked steps are convolutions, deconvolutions and poolings (`requestLayout`), each with
        // one new arena result.
        for i in steps.indices where steps[i].keepsNativeLayout {
            let b = steps[i].outputs[0]
            steps[i].keepsNativeLayout = nativelyRead[b]
            let plainOnly = readers[b].contains { !steps[$0.step].mayReadNative(operand: $0.operand) }
            steps[i].writesPlainCopy = nativelyRead[b] && (pinned.contains(b) || viewed.contains(b) || plainOnly)
        }
    }
}

extension PlanStep {
    /// Whether the executor binds operand `k` of this step in the layout a previous step left
    /// it in: the data of a convolution, deconvolution or pooling, either operand of a weight
    /// gradient, x or g of a pooling's gradient (by strides, where the layout allows), x and dy
    /// of batch normalization's training kernels.
    func readsNative(operand k: Int) -> Bool {
        switch kernel {
        case .convolution, .deconvolution, .pooling: k == 0
        case .convolutionBackwardWeight, .poolingBackward: k <= 1
        case .batchNormTraining: k == 0
        case .batchNormBackward: k == 0 || k == 4
        default: false
        }
    }

    /// Whether the executor may bind operand `k` in a kept layout, depending on the layout and
    /// the other operands (KernelLayouts.swift): besides `readsNative`, any operand of a fused
    /// elementwise program, a unary or binary op, and a reduction's. Where it cannot, it reorders the plain bytes
    /// before the step, so the producer need not write them.
    func mayReadNative(operand k: Int) -> Bool {
        switch kernel {
        case .fused, .unary, .binary: true
        case .reduce: k == 0
        default: readsNative(operand: k)
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
