import DLCCore

/// `assign-layouts`: a convolution's, transposed convolution's or pooling's result that some
/// step of the CPU back end can read in oneDNN's layout — a convolution or pooling as its data,
/// a convolution's weight gradient as either operand, a pooling's gradient as its x or g (the
/// back end's own kernel, by strides), batch normalization's training kernels as x or dy, or an
/// elementwise op whose result one of these reads — gets `layout: native`: the back end keeps it in the layout its primitive
/// chose for those readers, and writes the plain copy only where another reader, an output or
/// a view needs it, so a stack of them (forward and backward) reorders only where it begins
/// and ends. f32 only; a layout the model set is kept. Run last: a later rewrite could change
/// the readers.
public struct AssignLayoutsPass: Pass {
    public let name = "assign-layouts"

    /// The ops whose results may be kept in a oneDNN layout (the CPU back end's convolution,
    /// deconvolution and pooling steps).
    public static let layoutOps: Set<String> = ["convolution", "conv_transpose", "fused_convolution", "maxpool2d", "avgpool2d"]

    /// The operands each op can read in a oneDNN layout.
    public static let nativeOperands: [String: Set<Int>] = [
        "convolution": [0], "conv_transpose": [0], "fused_convolution": [0], "maxpool2d": [0], "avgpool2d": [0],
        "convolution_backward_weight": [0, 1], "maxpool2d_backward": [0, 1], "avgpool2d_backward": [0, 1],
        "batch_norm_training": [0], "batch_norm_backward": [0, 4],
    ]

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        // Readers first (reverse order): an elementwise op (fused or single) runs on its
        // operands' layout when they share one, so an operand of its result's shape is read
        // natively when that result is.
        var nativeReader = [Bool](repeating: false, count: graph.values.count)
        for n in graph.nodes.reversed() {
            let elementwise = n.op == "fused_elementwise" || context.registry.ops[n.op]?.family == .elementwise
            if elementwise, n.outputs.contains(where: { nativeReader[$0.index] }) {
                let shape = graph[n.outputs[0]].type.shape
                for v in n.inputs where graph[v].type.shape == shape { nativeReader[v.index] = true }
            }
            for k in Self.nativeOperands[n.op] ?? [] where k < n.inputs.count { nativeReader[n.inputs[k].index] = true }
        }
        for n in graph.nodes where Self.layoutOps.contains(n.op) && n.attributes[ResultLayout.attribute] == nil {
            let v = n.outputs[0]
            guard graph[v].type.dtype == .f32, nativeReader[v.index] else { continue }
            graph[n.id].attributes[ResultLayout.attribute] = .symbol(ResultLayout.native.rawValue)
        }
    }
}
