// The one edit the simplification passes make: redirect the uses of a value to another value
// that computes the same thing and is defined earlier. The dead producers are left for `dce`.
import DLCCore

/// A set of value replacements, resolved transitively (a → b and b → c make a → c).
struct ValueReplacements {
    private(set) var map: [ValueID: ValueID] = [:]

    var isEmpty: Bool { map.isEmpty }

    /// The value that stands for `v` now.
    func resolve(_ v: ValueID) -> ValueID {
        var r = v
        var hops = 0
        while let next = map[r], next != r, hops < 1_000_000 { r = next; hops += 1 }
        return r
    }

    /// From now on, uses of `old` read `new` (which must be defined before every use of `old`).
    mutating func replace(_ old: ValueID, with new: ValueID) {
        let target = resolve(new)
        if target != old { map[old] = target }
    }
}

extension Graph {
    /// Rewrites every node's inputs through `replacements`, and the outputs, losses and state
    /// updates too, except that a named result never becomes an input, parameter or constant
    /// itself (the plan keeps its own buffer for each named result).
    func apply(_ replacements: ValueReplacements) {
        guard !replacements.isEmpty else { return }
        for node in nodes {
            let inputs = node.inputs.map(replacements.resolve)
            if inputs != node.inputs { self[node.id].inputs = inputs }
        }
        func named(_ list: [NamedValue]) -> [NamedValue] {
            list.map { n in
                let r = replacements.resolve(n.value)
                guard r != n.value, !["input", "param", "constant"].contains(producer(of: r).op) else { return n }
                return NamedValue(name: n.name, value: r, location: n.location)
            }
        }
        outputs = named(outputs)
        losses = named(losses)
        updates = named(updates)
    }
}
