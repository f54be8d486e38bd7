// The memory planner: places every intermediate (arena) buffer at a byte offset of one arena.
//
// Algorithm (linear scan over the schedule, greedy best-fit by size):
// 1. Liveness. A view shares its source's bytes, so every buffer is reduced to its root (the
//    buffer that owns the bytes). A root is born at the step that writes it and dies after
//    the last step that reads it or any view of it. Outputs, losses and state-update sources
//    live to the end of the run; a root nobody reads dies right after its step.
// 2. Placement, step by step. For each output of step i:
//    - in place: if the step is elementwise (unary, binary, where, cast, bernoulli/dropout;
//      fused, for each of its results; fusedMulti, for each result over its own segment's
//      operands that no other segment reads), one of its arena inputs dies at step i, is not
//      kept to the end, and has exactly the output's size, the output takes over that input's
//      bytes;
//    - otherwise best fit: the smallest free block that holds it (split, remainder stays
//      free); if none does, the top of the arena grows (absorbing a free block at the top).
//    Then every root whose last use is step i returns its block to the free list, merged
//    with free neighbours. Outputs are placed before the inputs are freed, so a step never
//    writes over bytes it reads unless it was chosen to run in place.
//    Persistent roots (the results of state-derived steps, which must survive from one run
//    to the next) are placed first, before any other, and never freed: no buffer shares
//    their bytes.
// 3. Sizes are rounded up to 64 bytes. `naiveBytes` is the sum of all arena roots' sizes:
//    the arena a planner that never shares would need.
import DLCCore

/// Places the arena buffers of a plan (see the file header for the algorithm).
public enum MemoryPlanner {
    /// Kernels whose output may overwrite a same-sized input that dies at the step.
    static let elementwise: Set<KernelKind> = [.unary, .binary, .select, .cast, .random, .fused, .fusedMulti]
    /// Kernels with several results, each of which may run in place.
    static let elementwiseWithResults: Set<KernelKind> = [.fused, .fusedMulti]

    /// The buffer owning the bytes of `b`.
    static func root(_ b: Int, _ buffers: [PlanBuffer]) -> Int {
        var r = b
        while let v = buffers[r].viewOf { r = v }
        return r
    }

    /// For every arena root: the step that writes it and the last step that needs it
    /// (`steps.count` for buffers kept to the end).
    public static func lifetimes(buffers: [PlanBuffer], steps: [PlanStep], keepAlive: Set<Int>) -> [Int: ClosedRange<Int>] {
        var birth: [Int: Int] = [:], death: [Int: Int] = [:]
        for (i, s) in steps.enumerated() {
            for o in s.outputs {
                let r = root(o, buffers)
                if buffers[r].region == .arena, birth[r] == nil { birth[r] = i; death[r] = i }
            }
            for x in s.inputs {
                let r = root(x, buffers)
                if buffers[r].region == .arena { death[r] = max(death[r] ?? i, i) }
            }
        }
        for k in keepAlive {
            let r = root(k, buffers)
            if buffers[r].region == .arena { death[r] = steps.count }
        }
        var out: [Int: ClosedRange<Int>] = [:]
        for (r, b) in birth { out[r] = b...max(b, death[r] ?? b) }
        return out
    }

    /// Assigns offsets to the arena roots (views take their root's offset) and marks the steps
    /// that run in place. Returns the arena size and the naive (unshared) size in bytes.
    /// `persistent`: arena roots that keep their bytes across runs (placed first, never freed).
    static func plan(buffers: inout [PlanBuffer], steps: inout [PlanStep], keepAlive: Set<Int>,
                     persistent: Set<Int> = []) -> (arena: Int, naive: Int) {
        let life = lifetimes(buffers: buffers, steps: steps, keepAlive: keepAlive.union(persistent))
        var free = FreeList()
        var naive = 0
        for r in persistent.sorted() where buffers[r].region == .arena && buffers[r].viewOf == nil && life[r] != nil {
            let size = alignUp(max(buffers[r].bytes, 1))
            naive += size
            buffers[r].offset = free.allocate(size)
        }
        var dying: [Int: [Int]] = [:]
        for (r, span) in life { dying[span.upperBound, default: []].append(r) }
        for i in steps.indices {
            var transferred: Set<Int> = []
            let candidates = elementwise.contains(steps[i].kernel) ? steps[i].inPlaceCandidates { root($0, buffers) } : []
            for (k, o) in steps[i].outputs.enumerated() {
                let r = root(o, buffers)
                guard buffers[r].region == .arena, life[r]?.lowerBound == i, r == o, !persistent.contains(r) else { continue }
                let size = alignUp(max(buffers[r].bytes, 1))
                naive += size
                if elementwise.contains(steps[i].kernel),
                   steps[i].outputs.count == 1 || elementwiseWithResults.contains(steps[i].kernel),
                   let donor = candidates[k].first(where: { d in
                       buffers[d].region == .arena && life[d]?.upperBound == i && !transferred.contains(d)
                           && alignUp(max(buffers[d].bytes, 1)) == size && buffers[d].bytes == buffers[r].bytes
                   }) {
                    buffers[r].offset = buffers[donor].offset
                    transferred.insert(donor)
                    steps[i].inPlace = true
                } else {
                    buffers[r].offset = free.allocate(size)
                }
            }
            for r in dying[i] ?? [] where !transferred.contains(r) {
                free.release(offset: buffers[r].offset, size: alignUp(max(buffers[r].bytes, 1)))
            }
        }
        for b in buffers.indices where buffers[b].viewOf != nil {
            let r = root(b, buffers)
            buffers[b].region = buffers[r].region
            buffers[b].offset = buffers[r].offset
        }
        return (free.top, naive)
    }
}

/// Free blocks of the arena, sorted by offset and never adjacent (merged on release).
struct FreeList {
    private(set) var blocks: [(offset: Int, size: Int)] = []
    /// The arena's size so far.
    private(set) var top = 0

    /// The offset of a block of `size` bytes: best fit, or grown at the top.
    mutating func allocate(_ size: Int) -> Int {
        var best: Int?
        for (i, b) in blocks.enumerated() where b.size >= size {
            if best == nil || b.size < blocks[best!].size { best = i }
        }
        if let i = best {
            let off = blocks[i].offset
            if blocks[i].size == size { blocks.remove(at: i) } else { blocks[i] = (off + size, blocks[i].size - size) }
            return off
        }
        if let last = blocks.last, last.offset + last.size == top {
            blocks.removeLast()
            top = last.offset + size
            return last.offset
        }
        let off = top
        top += size
        return off
    }

    /// Returns a block, merging it with free neighbours.
    mutating func release(offset: Int, size: Int) {
        var i = blocks.firstIndex { $0.offset > offset } ?? blocks.count
        blocks.insert((offset, size), at: i)
        if i + 1 < blocks.count, blocks[i].offset + blocks[i].size == blocks[i + 1].offset {
            blocks[i].size += blocks[i + 1].size
            blocks.remove(at: i + 1)
        }
        if i > 0, blocks[i - 1].offset + blocks[i - 1].size == blocks[i].offset {
            blocks[i - 1].size += blocks[i].size
            blocks.remove(at: i)
            i -= 1
        }
    }
}
