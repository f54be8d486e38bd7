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
}

/// The named pipelines.
public enum Pipelines {
    /// What `dlc compile` runs on every model: check, re-type, clean, check again.
    public static let standard = ["verify", "infer-shapes", "dce", "verify"]
}
