import DLCCore

/// `fuse-softmax-loss`: a loss over a log-softmax along the class axis becomes one loss over
/// the logits, so its forward pass is one kernel and its gradient one softmax and one
/// elementwise kernel: `nll_loss(log_softmax(z), y)` → `cross_entropy(z, y)`, and
/// `cross_entropy(log_softmax(z), y)` → `cross_entropy(z, y)` (the softmax of log_softmax(z) is
/// softmax(z)). The log-softmax stays while anything else reads it (`dce` removes it
/// otherwise). `TrainingGraph.build` runs it before autodiff, so the backward pass is built
/// from the fused loss; it is also among the execution passes.
public struct FuseSoftmaxLossPass: Pass {
    public let name = "fuse-softmax-loss"

    public init() {}

    public func run(on graph: Graph, context: PassContext) {
        for n in graph.nodes where n.op == "nll_loss" || n.op == "cross_entropy" {
            guard n.inputs.count == 2 else { continue }
            let p = graph.producer(of: n.inputs[0])
            let rank = graph[n.inputs[0]].type.rank
            guard p.op == "log_softmax", p.inputs.count == 1, rank == 2 else { continue }
            let axis = p.attributes["axis"]?.intValue ?? -1
            guard axis == 1 || axis == -1 else { continue }
            graph[n.id].op = "cross_entropy"
            graph[n.id].inputs[0] = p.inputs[0]
        }
    }
}
