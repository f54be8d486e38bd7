import DLCCore

/// The passes of this module as a plugin, so `--print-after` and `dlc plugins` know them.
public let standardPassesPlugin = Plugin(name: "passes", summary: "the standard compiler passes", implicit: true) { r in
    try r.register(PassSpec(name: "verify", summary: "checks SSA order, producers, outputs and losses") { VerifyPass() })
    try r.register(PassSpec(name: "infer-shapes", summary: "re-derives every node's type from its operands") { InferShapesPass() })
    try r.register(PassSpec(name: "dce", summary: "removes nodes that reach no output or loss") { DeadCodeEliminationPass() })
    try r.register(PassSpec(name: "autodiff",
                            summary: "appends the gradient of the first loss for every trainable parameter (outputs grad.<name>)") {
        AutodiffPass()
    })
    try r.register(PassSpec(name: "simplify",
                            summary: "folds constants and removes algebraic identities (x*1, x+0, double transposes, reshape chains)") {
        SimplifyPass()
    })
    try r.register(PassSpec(name: "cse", summary: "merges nodes that compute the same op on the same operands") {
        CommonSubexpressionPass()
    })
    try r.register(PassSpec(name: "remove-dropout", summary: "inference only: dropout becomes the identity (its uses read its operand)") {
        RemoveDropoutPass()
    })
    try r.register(PassSpec(name: "fold-batch-norm",
                            summary: "inference only: folds a batch_norm into the convolution or dense matmul before it (scaled weights, shifted bias)") {
        FoldBatchNormPass()
    })
    try r.register(PassSpec(name: "fuse-softmax-loss",
                            summary: "nll_loss or cross_entropy of a log_softmax becomes cross_entropy of the logits (one kernel forward and back)") {
        FuseSoftmaxLossPass()
    })
    try r.register(fusedElementwiseOp)
    try r.register(fusedElementwiseMultiOp)
    try r.register(fusedMatMulOp)
    try r.register(fusedConvolutionOp)
    try r.register(batchSummedMatMulOp)
    try r.register(PassSpec(name: "fuse-batch-sum",
                            summary: "a sum over the batch of a batched matmul(a, b, transpose_a: true) (a dense layer's weight gradient over a sequence) becomes one batch_summed_matmul over the stacked batch") {
        FuseBatchSumPass()
    })
    try r.register(PassSpec(name: "fuse-epilogue",
                            summary: "merges a matmul or convolution with its following bias/residual adds, scaling and activations into fused_matmul and fused_convolution nodes") {
        FuseEpiloguePass()
    })
    try r.register(PassSpec(name: "fuse-elementwise",
                            summary: "groups chains and trees of elementwise ops into fused_elementwise nodes") { FuseElementwisePass() })
    try r.register(PassSpec(name: "fuse-horizontal",
                            summary: "merges independent fused_elementwise nodes (and single elementwise ops) with the same program, such as the optimizer updates of all parameters, into fused_elementwise_multi nodes") {
        FuseHorizontalPass()
    })
    try r.register(PassSpec(name: "assign-layouts",
                            summary: "marks convolution and pooling results that a convolution, pooling or weight gradient reads with layout: native, so the CPU back end keeps them in oneDNN's blocked layout for those readers (a plain copy for the others)") {
        AssignLayoutsPass()
    })
}

/// The named pipelines.
public enum Pipelines {
    /// What `dlc compile` runs on every model: check, re-type, clean, check again.
    public static let standard = ["verify", "infer-shapes", "dce", "verify"]
    /// What runs on a graph before it is lowered for execution (after the training step is built).
    public static let execution = ["simplify", "fuse-softmax-loss", "cse", "dce", "fuse-batch-sum", "fuse-epilogue", "fuse-elementwise", "fuse-horizontal", "dce", "assign-layouts", "verify"]
    /// The rewrites only valid when nothing is trained: dropout is the identity and batch
    /// norm uses its running statistics, so it folds into the layer before it.
    public static let inferenceRewrites = ["remove-dropout", "fold-batch-norm"]
    /// What runs on a graph before it is lowered for inference: the inference rewrites, then
    /// `execution` (so a folded convolution or matmul can still take its epilogue).
    public static let inference = inferenceRewrites + execution

    /// The pipeline for a graph lowered for inference or for training.
    public static func forExecution(inference: Bool) -> [String] { inference ? Pipelines.inference : execution }

    /// Runs `inference` or `execution` (minus `disabled`) on a graph about to be lowered;
    /// throws the first error. `inference` must be true exactly when the plan is built with
    /// `training: false`.
    public static func prepareForExecution(_ graph: Graph, registry: Registry, disabled: Set<String> = [], inference: Bool) throws {
        let names = forExecution(inference: inference).filter { !disabled.contains($0) }
        let diags = DiagnosticEngine()
        try PassManager(names: names, registry: registry).run(on: graph, context: PassContext(registry: registry, diagnostics: diags))
        if diags.hasErrors { throw DLCError(diags.sorted.map(\.message).joined(separator: "; ")) }
    }
}
