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
        var newID: [ValueID: ValueID] = [:]
        var values: [Value] = []
        var nodes: [Node] = []
        for node in graph.nodes where keep[node.id.index] {
            var n = node
            let nid = NodeID(nodes.count)
            n = Node(id: nid, op: node.op, inputs: node.inputs.map { newID[$0]! }, outputs: [],
                     attributes: node.attributes, location: node.location, scope: node.scope, layer: node.layer)
            for v in node.outputs {
                var value = graph[v]
                let id = ValueID(values.count)
                value = Value(id: id, type: value.type, name: value.name, location: value.location, producer: nid)
                newID[v] = id
                values.append(value)
                n.outputs.append(id)
            }
            nodes.append(n)
        }
        graph.replaceContents(values: values, nodes: nodes)
        graph.outputs = graph.outputs.map { NamedValue(name: $0.name, value: newID[$0.value]!, location: $0.location) }
        graph.losses = graph.losses.map { NamedValue(name: $0.name, value: newID[$0.value]!, location: $0.location) }
        graph.updates = graph.updates.map { NamedValue(name: $0.name, value: newID[$0.value]!, location: $0.location) }
    }
}
