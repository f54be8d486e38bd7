// Text form of an execution plan, for `dlc compile --emit=plan`: a header with the bindings
// and sizes, the buffers (region, offset, size, type), then one line per step with its
// kernel, its operands' and results' buffers with their types and arena places (and
// `[in place]`, `[once per state]`, `[native layout]` for the steps that run in place, only
// after the state changed, or keep their result in oneDNN's layout — `, plain copy` when the
// plain buffer is written too).
import DLCCore

/// Prints an `ExecutionPlan` as stable, human-readable text.
public struct PlanPrinter {
    public init() {}

    /// The whole listing.
    public func print(_ plan: ExecutionPlan) -> String {
        var s = "plan \(plan.name)"
        if !plan.bindings.isEmpty {
            s += " [" + plan.bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "]"
        }
        s += plan.training ? " (training)\n" : " (inference)\n"
        s += "  arena \(plan.arenaBytes) bytes (naive sum \(plan.naiveBytes) bytes"
        if plan.naiveBytes > 0 {
            let pct = Double(plan.arenaBytes) / Double(plan.naiveBytes) * 100
            s += ", \(Int(pct.rounded()))%"
        }
        s += "); inputs \(plan.regionBytes[.input] ?? 0), state \(plan.regionBytes[.state] ?? 0), constants \(plan.regionBytes[.constant] ?? 0) bytes\n"
        s += "  inputs: " + list(plan.inputs.map { "\($0.name) \(type(plan.buffers[$0.buffer]))" }) + "\n"
        s += "  outputs: " + list(plan.outputs.map { "\($0.name) = b\($0.buffer)" }) + "\n"
        s += "  losses: " + list(plan.losses.map { "\($0.name) = b\($0.buffer)" }) + "\n"
        s += "  state: " + list(plan.state.map { "\($0.name) \(type(plan.buffers[$0.buffer]))\($0.trainable ? "" : " (frozen)")" }) + "\n"
        if !plan.updates.isEmpty {
            s += "  updates: " + list(plan.updates.map { "\(plan.state[$0.slot].name) ← b\($0.source)" }) + "\n"
        }
        s += "buffers:\n"
        for (i, b) in plan.buffers.enumerated() {
            let view = b.viewOf.map { " view of b\($0)" } ?? ""
            s += "  b\(i) \(b.name): \(type(b)) \(b.region) @\(b.offset) +\(b.bytes)\(view)\n"
        }
        s += "steps:\n"
        for (i, step) in plan.steps.enumerated() {
            let ins = step.inputs.map { operand($0, plan) }.joined(separator: ", ")
            let outs = step.outputs.map { operand($0, plan) }.joined(separator: ", ")
            s += "  \(i): \(step.kernel.rawValue) (\(step.op)) \(outs) ← \(ins)\(step.inPlace ? " [in place]" : "")\(step.stateDerived ? " [once per state]" : "")\(step.keepsNativeLayout ? step.writesPlainCopy ? " [native layout, plain copy]" : " [native layout]" : "")\n"
        }
        return s
    }

    private func list(_ xs: [String]) -> String { xs.isEmpty ? "none" : xs.joined(separator: ", ") }

    private func type(_ b: PlanBuffer) -> String {
        "\(b.dtype)[\(b.shape.map(String.init).joined(separator: ", "))]"
    }

    private func operand(_ i: Int, _ plan: ExecutionPlan) -> String {
        let b = plan.buffers[i]
        let place = b.region == .arena ? "@\(b.offset)+\(b.bytes)" : "\(b.region)@\(b.offset)"
        return "b\(i):\(type(b))\(place)"
    }
}
