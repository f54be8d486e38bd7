// Running state-derived steps once per state (see `Lowering+StateDerived.swift`): a run after
// the state changed — the first run, `setState` (by name or a dictionary), a run of a plan
// with state updates — executes them first (they read only state, constants and each other),
// before oneDNN's conversions of state into its layouts; other runs skip them. Their results
// stay in their own arena bytes between runs, so a oneDNN step converts a state-derived
// operand (a folded convolution's weights) once per state, as it does a parameter.
extension Executor {
    /// Whether the plan has steps that run only after the state changed.
    public var hasStateDerivedSteps: Bool { !stateDerivedResults.isEmpty }

    /// The buffers (and their views) written by the plan's state-derived steps.
    static func stateDerivedResults(of plan: ExecutionPlan) -> Set<Int> {
        var roots = Set<Int>()
        for s in plan.steps where s.stateDerived { roots.formUnion(s.outputs) }
        guard !roots.isEmpty else { return [] }
        return Set(plan.buffers.indices.filter { b in
            var r = b
            while let v = plan.buffers[r].viewOf { r = v }
            return roots.contains(r)
        })
    }
}
