import DLCCore
import DLCPasses

/// The passes run on a graph about to be lowered for execution (`Pipelines.execution`:
/// simplification, epilogue and elementwise fusion, then dce and verify), after the
/// training step is built; for inference (`Pipelines.inference`) dropout is removed and batch
/// norm folded first.
public enum ExecutionPasses {
    /// Runs them unless `fuse` is false (`dlc bench --no-fuse`) or a pass is disabled.
    /// `inference`: the graph is lowered with `training: false` (every such caller passes true).
    public static func run(_ graph: Graph, registry: Registry, fuse: Bool = true, disabled: Set<String> = [],
                           inference: Bool) throws {
        guard fuse else { return }
        try Pipelines.prepareForExecution(graph, registry: registry, disabled: disabled, inference: inference)
    }
}
