import DLCCore

/// Who reads each value of a graph, as a pass that absorbs producers into consumers needs to
/// know: the nodes taking it as an operand (a node reading it twice is listed twice), and
/// whether it escapes the graph (an output, a loss or a state update). Taken once, before a
/// pass rewrites anything.
struct ValueReaders {
    private let readers: [[Int]]
    /// The outputs, losses and state updates.
    let escapes: Set<ValueID>

    init(_ graph: Graph) {
        var readers = [[Int]](repeating: [], count: graph.values.count)
        for n in graph.nodes { for v in n.inputs { readers[v.index].append(n.id.index) } }
        self.readers = readers
        escapes = Set((graph.outputs + graph.losses + graph.updates).map(\.value))
    }

    /// The indices of the nodes reading `v`, once per operand.
    func of(_ v: ValueID) -> [Int] { readers[v.index] }

    /// How many operands read `v`.
    func count(_ v: ValueID) -> Int { readers[v.index].count }

    /// Read by exactly one operand and not escaping: a rewrite may fold its producer into
    /// that reader.
    func isPrivate(_ v: ValueID) -> Bool { readers[v.index].count == 1 && !escapes.contains(v) }
}
