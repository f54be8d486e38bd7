// State-derived steps: in an inference plan (no state updates), a step whose every operand is
// state, a constant or the result of another state-derived step — no input, nothing random,
// no plugin kernel — computes the same values on every run until the state changes (e.g.
// the scaled weights and shifted bias of a folded batch norm). The executor runs these steps
// only when the state changed since their last run (`Executor+StateDerived.swift`). The
// results the other steps read (or the caller, as outputs) stay in the arena between runs, so
// the memory planner places them first and never lets another buffer share their bytes;
// intermediates only state-derived steps read keep ordinary lifetimes. A training plan writes its state on every run, so
// nothing is marked there and its plan is unchanged.
import DLCCore

extension Lowerer {
    /// Kernels never marked: random draws differ per run; a plugin kernel's purity is not known.
    static let runEveryTime: Set<KernelKind> = [.random, .custom]

    /// Marks the state-derived steps and returns the arena roots they write that must keep
    /// their bytes between runs: those read by other steps or in `ports` (outputs, losses).
    mutating func markStateDerived(ports: Set<Int>) -> Set<Int> {
        var derived = Set<Int>()
        func isDerived(_ b: Int) -> Bool {
            let r = MemoryPlanner.root(b, buffers)
            switch buffers[r].region {
            case .state, .constant: return true
            case .input: return false
            case .arena: return derived.contains(r)
            }
        }
        for i in steps.indices {
            let s = steps[i]
            guard !Self.runEveryTime.contains(s.kernel), !s.outputs.isEmpty, s.inputs.allSatisfy(isDerived),
                  s.outputs.allSatisfy({ buffers[MemoryPlanner.root($0, buffers)].region == .arena }) else { continue }
            steps[i].stateDerived = true
            for o in s.outputs { derived.insert(MemoryPlanner.root(o, buffers)) }
        }
        guard !derived.isEmpty else { return [] }
        var persistent = Set(ports.map { MemoryPlanner.root($0, buffers) }).intersection(derived)
        for s in steps where !s.stateDerived {
            for x in s.inputs where derived.contains(MemoryPlanner.root(x, buffers)) { persistent.insert(MemoryPlanner.root(x, buffers)) }
        }
        return persistent
    }
}
