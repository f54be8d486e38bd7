import DLCCore

/// `assign-layouts`: a convolution's, transposed convolution's or pooling's result that only
/// convolutions and poolings read, each as its data operand, gets `layout: native` — the CPU
/// back end keeps it in the layout oneDNN's primitive chose, so a stack of them reorders only
/// where it begins and ends. Results that escape (outputs, losses, state updates), that
/// anything else reads (an activation's gradient, a flatten, a sum) or that are not f32 stay
/// plain; a layout the model set is kept. Run last: a later rewrite could add readers.
public struct AssignLayoutsPass: Pass {
    public let name = "assign-layouts"

    /// The ops whose results and data operands may be in a oneDNN layout (the CPU back end's
    /// convolution, deconvolution and pooling steps).
    public static let layoutOps: Set<String> = ["convolution", "conv_transpose", "fused_convolution", "maxpool2d", "avgpool2d"]

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        let readers = ValueReaders(graph)
        for n in graph.nodes where Self.layoutOps.contains(n.op) && n.attributes[ResultLayout.attribute] == nil {
            let v = n.outputs[0], users = readers.of(v)
            guard graph[v].type.dtype == .f32, !readers.escapes.contains(v), !users.isEmpty,
                  users.allSatisfy({ Self.readsAsData(graph.nodes[$0], v) }) else { continue }
            graph[n.id].attributes[ResultLayout.attribute] = .symbol(ResultLayout.native.rawValue)
        }
    }

    /// Whether `reader` is a layout op that reads `v` as its data operand (operand 0) only.
    static func readsAsData(_ reader: Node, _ v: ValueID) -> Bool {
        layoutOps.contains(reader.op) && reader.inputs.first == v && !reader.inputs.dropFirst().contains(v)
    }
}
