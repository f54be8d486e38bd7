// State updates written in place: when the step that computes the new value of a parameter
// (or of an optimizer state) is elementwise and runs after every other reader of the old
// value, its result is made a view of the parameter's own bytes. The step then writes the new
// value straight into the state (reading each old element before writing it, as an in-place
// elementwise step does) and the executor's copy of the update after the run disappears:
// each parameter and moment is read once and written once per training step.
import DLCCore

extension Lowerer {
    /// Kernels whose result element i depends only on element i of same-sized operands.
    static let inPlaceUpdateKernels: Set<KernelKind> = [.unary, .binary, .select, .cast, .fused, .fusedMulti]

    /// Rebinds the sources of `updates` (state slot, source buffer) to the state's bytes where
    /// that is safe (see the file header); the plan's other ports are `ports`.
    mutating func placeUpdatesInState(_ updates: [StateUpdate], ports: [Int]) {
        let roots = buffers.indices.map { MemoryPlanner.root($0, buffers) }
        var producer: [Int: (step: Int, result: Int)] = [:]
        var lastRead: [Int: Int] = [:]
        for (i, s) in steps.enumerated() {
            for (k, o) in s.outputs.enumerated() { producer[o] = (i, k) }
            for x in s.inputs { lastRead[roots[x]] = i }
        }
        let portRoots = Set(ports.map { roots[$0] })
        // By step, computed once (one step may write many updates): the roots each result may
        // overwrite, and the roots of all its inputs.
        var reads: [Int: (candidates: [[Int]], all: Set<Int>)] = [:]
        for u in updates {
            let target = state[u.slot].buffer, src = u.source
            guard buffers[src].region == .arena, buffers[src].viewOf == nil, let (p, k) = producer[src],
                  Self.inPlaceUpdateKernels.contains(steps[p].kernel), buffers[target].viewOf == nil,
                  buffers[src].bytes == buffers[target].bytes, !portRoots.contains(target),
                  (lastRead[target] ?? -1) <= p else { continue }
            // The step may read the old value only element for element, and (several segments
            // in one step) only in the segment that writes the new one.
            if reads[p] == nil { reads[p] = (steps[p].inPlaceCandidates { roots[$0] }, Set(steps[p].inputs.map { roots[$0] })) }
            let readsOld = steps[p].inputsOfSegment(ofOutput: k).filter { roots[$0] == target }
            guard readsOld.allSatisfy({ buffers[$0].count == buffers[src].count }),
                  !reads[p]!.all.contains(target) || reads[p]!.candidates[k].contains(target) else { continue }
            buffers[src].viewOf = target
            buffers[src].region = buffers[target].region
            buffers[src].offset = buffers[target].offset
        }
    }
}
