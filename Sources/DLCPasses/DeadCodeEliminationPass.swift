import DLCCore

/// `dce`: removes nodes whose results reach no output, no loss and no state update. Inputs and parameters
/// stay (they are the model's interface and its state) even when unused; random ops are
/// removed like any other unused op. Values are renumbered densely, keeping their order.
public struct DeadCodeEliminationPass: Pass {
    public let name = "dce"
    /// Keep inputs nothing uses (the model's interface). An inference export drops them
    /// (e.g. the labels once the losses are gone).
    public var keepUnusedInputs = true

    public init(keepUnusedInputs: Bool = true) { self.keepUnusedInputs = keepUnusedInputs }

    public func run(on graph: Graph, context: PassContext) {
        var live = Set<ValueID>((graph.outputs + graph.losses + graph.updates).map(\.value))
        var keep = [Bool](repeating: false, count: graph.nodes.count)
        for node in graph.nodes.reversed() {
            if (node.op == "input" && keepUnusedInputs) || node.op == "param" || node.outputs.contains(where: live.contains) {
                keep[node.id.index] = true
                live.formUnion(node.inputs)
            }
        }
        guard keep.contains(false) else { return }
        graph.renumber(keeping: graph.nodes.filter { keep[$0.id.index] })
    }
}
