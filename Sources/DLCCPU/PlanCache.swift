// Plans of one graph for several batch sizes: built on first use, then reused.
import DLCCore

/// Caches the execution plans of one graph by their bindings (e.g. one per batch size).
public final class PlanCache {
    public let graph: Graph
    public let registry: Registry
    public let training: Bool
    private var plans: [[String: Int]: ExecutionPlan] = [:]

    public init(graph: Graph, registry: Registry, training: Bool = false) {
        self.graph = graph
        self.registry = registry
        self.training = training
    }

    /// The plan for `bindings`, built once.
    public func plan(bindings: [String: Int]) throws -> ExecutionPlan {
        if let p = plans[bindings] { return p }
        let p = try ExecutionPlan.build(graph, bindings: bindings, registry: registry, training: training)
        plans[bindings] = p
        return p
    }
}
