import DLCCore

extension Graph {
    /// Replaces the graph's nodes by `nodes` (in an order where every operand is produced
    /// before its use), renumbering nodes and values densely in that order and remapping the
    /// outputs, losses and updates. The passes that remove or merge nodes end with this.
    func renumber(keeping nodes: [Node]) {
        var newIndex = [Int](repeating: -1, count: self.values.count)
        func newID(_ v: ValueID) -> ValueID { ValueID(newIndex[v.index]) }
        var values: [Value] = []
        var newNodes: [Node] = []
        values.reserveCapacity(self.values.count)
        newNodes.reserveCapacity(nodes.count)
        for node in nodes {
            let nid = NodeID(newNodes.count)
            var n = Node(id: nid, op: node.op, inputs: node.inputs.map(newID), outputs: [],
                         attributes: node.attributes, location: node.location, scope: node.scope, layer: node.layer)
            for v in node.outputs {
                let old = self[v]
                let id = ValueID(values.count)
                values.append(Value(id: id, type: old.type, name: old.name, location: old.location, producer: nid))
                newIndex[v.index] = id.index
                n.outputs.append(id)
            }
            newNodes.append(n)
        }
        replaceContents(values: values, nodes: newNodes)
        outputs = outputs.map { NamedValue(name: $0.name, value: newID($0.value), location: $0.location) }
        losses = losses.map { NamedValue(name: $0.name, value: newID($0.value), location: $0.location) }
        updates = updates.map { NamedValue(name: $0.name, value: newID($0.value), location: $0.location) }
    }
}
