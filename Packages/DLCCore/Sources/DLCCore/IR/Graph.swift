/// Index of a value in its graph.
public struct ValueID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "%\(index)" }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
}

/// Index of a node in its graph.
public struct NodeID: Hashable, Sendable, Comparable {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
}

/// An SSA value: produced by exactly one node, typed, and traced to the source.
public struct Value {
    public let id: ValueID
    /// The inferred type. A graph only ever holds well-typed values: a call whose types do not
    /// check adds no node (the compiler poisons its result instead).
    public var type: TensorType
    /// The source name the value was bound to, if any (`c1`, `fc1.weight`).
    public var name: String?
    /// Where the value was declared or computed.
    public var location: SourceRange
    /// The node that produces it.
    public var producer: NodeID

    public init(id: ValueID, type: TensorType, name: String?, location: SourceRange, producer: NodeID) {
        self.id = id
        self.type = type
        self.name = name
        self.location = location
        self.producer = producer
    }
}

/// Ordered attributes of a node; printed in key order so that output is stable.
public typealias Attributes = [String: StaticValue]

/// An operation applied to values. Graph inputs, parameters and constants are nodes too
/// (ops `input`, `param`, `constant`), so every value has exactly one producer.
public struct Node {
    public let id: NodeID
    public var op: String
    public var inputs: [ValueID]
    public var outputs: [ValueID]
    public var attributes: Attributes
    public var location: SourceRange
    /// The hierarchical scope that created the node (`stage2.block1.conv1`), "" at top level.
    public var scope: String
    /// The layer whose expansion emitted the node, if any (`dense`, `lstm`).
    public var layer: String?

    public init(id: NodeID, op: String, inputs: [ValueID], outputs: [ValueID], attributes: Attributes,
                location: SourceRange, scope: String, layer: String?) {
        self.id = id
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.location = location
        self.scope = scope
        self.layer = layer
    }
}

/// How a model's value is exposed: as an `output`, or as a named `loss`.
public struct NamedValue: Equatable {
    public var name: String
    public var value: ValueID
    public var location: SourceRange

    public init(name: String, value: ValueID, location: SourceRange) {
        self.name = name
        self.value = value
        self.location = location
    }
}

/// The IR of one model: an SSA graph of typed values. Nodes are kept in a topological
/// order (every input is produced by an earlier node); passes preserve that order.
public final class Graph {
    public let name: String
    public var location: SourceRange
    public private(set) var values: [Value] = []
    public private(set) var nodes: [Node] = []
    public var outputs: [NamedValue] = []
    public var losses: [NamedValue] = []
    /// State written back after each run of the graph: the new value of a parameter (named
    /// by the parameter's name), e.g. the optimizer's update of a weight or a moment.
    public var updates: [NamedValue] = []

    public init(name: String, location: SourceRange = .unknown) {
        self.name = name
        self.location = location
    }

    /// Appends a node and creates its outputs with the given types.
    @discardableResult
    public func addNode(op: String, inputs: [ValueID], outputTypes: [TensorType],
                        attributes: Attributes = [:], location: SourceRange,
                        scope: String = "", layer: String? = nil, names: [String?] = []) -> Node {
        let nid = NodeID(nodes.count)
        var outs: [ValueID] = []
        for (i, t) in outputTypes.enumerated() {
            let vid = ValueID(values.count)
            values.append(Value(id: vid, type: t, name: i < names.count ? names[i] : nil,
                                location: location, producer: nid))
            outs.append(vid)
        }
        let node = Node(id: nid, op: op, inputs: inputs, outputs: outs, attributes: attributes,
                        location: location, scope: scope, layer: layer)
        nodes.append(node)
        return node
    }

    public subscript(_ v: ValueID) -> Value {
        get { values[v.index] }
        set { values[v.index] = newValue }
    }

    public subscript(_ n: NodeID) -> Node {
        get { nodes[n.index] }
        set { nodes[n.index] = newValue }
    }

    /// Nodes of the given op (`input`, `param`, …) in order.
    public func nodes(op: String) -> [Node] { nodes.filter { $0.op == op } }

    /// The `input` nodes.
    public var inputNodes: [Node] { nodes(op: "input") }

    /// The `param` nodes (trainable parameters and non-trainable state).
    public var paramNodes: [Node] { nodes(op: "param") }

    /// The node producing a value.
    public func producer(of v: ValueID) -> Node { nodes[values[v.index].producer.index] }

    /// Replaces the whole node and value lists (used by passes that rebuild the graph).
    /// The new lists must be consistent: ids equal to indices, producers valid.
    public func replaceContents(values newValues: [Value], nodes newNodes: [Node]) {
        values = newValues
        nodes = newNodes
    }

    /// Number of trainable parameter elements.
    public var trainableParameterCount: Int {
        paramNodes.filter { $0.attributes["trainable"] != .bool(false) }
            .reduce(0) { $0 + values[$1.outputs[0].index].type.elementCount() }
    }
}
