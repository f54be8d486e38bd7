import DLCCore

/// `fuse-batch-sum`: a sum over the batch dimensions of a batched `matmul(a, b,
/// transpose_a: true)` whose operands share those batch dimensions — what autodiff emits for
/// the weight gradient of a dense layer over a sequence, `x` [N, T, in] — becomes one
/// `batch_summed_matmul(a, b)`: the batch joins the contraction (K·N terms), so the N products
/// of [in, out] and their sum are neither computed apart nor stored. The sum node is rewritten
/// in place (its result keeps its value and type); the matmul stays while anything else reads
/// it (`dce` removes it otherwise).
public struct FuseBatchSumPass: Pass {
    public let name = "fuse-batch-sum"

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        let readers = ValueReaders(graph)
        for n in graph.nodes where n.op == "sum" && n.inputs.count == 1 {
            let product = n.inputs[0], p = graph.producer(of: product)
            guard p.op == "matmul", p.inputs.count == 2, readers.isPrivate(product),
                  p.attributes["transpose_a"]?.boolValue == true, p.attributes["transpose_b"]?.boolValue != true else { continue }
            let a = graph[p.inputs[0]].type, b = graph[p.inputs[1]].type, y = graph[product].type
            let batch = y.rank - 2
            guard batch >= 1, a.dtype.isFloat, a.rank == y.rank, b.rank == y.rank,
                  Array(a.shape.dropLast()) == Array(b.shape.dropLast()),
                  Array(a.shape.prefix(batch)) == Array(y.shape.prefix(batch)) else { continue }
            let axes = n.attributes["axes"].flatMap(Self.axes) ?? Array(0..<y.rank)
            guard axes.map({ $0 < 0 ? $0 + y.rank : $0 }).sorted() == Array(0..<batch) else { continue }
            let keepdims = n.attributes["keepdims"]?.boolValue ?? false
            graph[n.id].op = "batch_summed_matmul"
            graph[n.id].inputs = p.inputs
            graph[n.id].attributes = ["keepdims": .bool(keepdims)]
        }
    }

    /// The axes of a `sum`'s `axes` attribute (one int or a list).
    static func axes(_ value: StaticValue) -> [Int]? {
        if let i = value.intValue { return [i] }
        return value.listValue?.compactMap(\.intValue)
    }
}
