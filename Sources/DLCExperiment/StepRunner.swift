import DLCCore
import DLCCPU

/// Runs one graph for batches of any size: a plan and an executor per batch size, built on
/// first use. One executor (the first built) owns the parameters; before another runs, it
/// receives them, and afterwards hands the updated ones back — so a final partial batch
/// costs two state copies, not a rebuild.
final class StepRunner {
    let cache: PlanCache
    let seed: UInt64
    private var executors: [Int: Executor] = [:]
    private var owner: Int?
    private var pending: [String: HostTensor] = [:]
    private var pendingRunCounts: [Int: UInt64] = [:]

    init(graph: Graph, registry: Registry, training: Bool, seed: UInt64) throws {
        cache = PlanCache(graph: graph, registry: registry, training: training)
        self.seed = seed
    }

    func executor(batch: Int) throws -> Executor {
        if let e = executors[batch] { return e }
        let e = try Executor(plan: try cache.plan(bindings: ["N": batch]))
        e.seed = seed &+ UInt64(batch)
        if let n = pendingRunCounts.removeValue(forKey: batch) { e.runCount = n }
        executors[batch] = e
        if owner == nil {
            owner = batch
            try e.setState(pending)
            pending = [:]
        }
        return e
    }

    /// Runs one batch; parameters persist across calls whatever the batch size.
    func run(_ inputs: [String: HostTensor], batch: Int) throws -> [String: HostTensor] {
        let e = try executor(batch: batch)
        guard let owner, owner != batch, let main = executors[owner] else { return try e.run(inputs: inputs) }
        for slot in e.plan.state { try e.setState(try main.state(named: slot.name), named: slot.name) }
        let out = try e.run(inputs: inputs)
        for slot in e.plan.state { try main.setState(try e.state(named: slot.name), named: slot.name) }
        return out
    }

    /// The position of each batch size's executor in its random stream (runs so far), for
    /// checkpoints: with the state, it is all a resumed run needs to continue exactly.
    var runCounts: [Int: UInt64] {
        get {
            var out = pendingRunCounts
            for (b, e) in executors { out[b] = e.runCount }
            return out
        }
        set {
            for (b, n) in newValue {
                if let e = executors[b] { e.runCount = n } else { pendingRunCounts[b] = n }
            }
        }
    }

    /// Sets parameters (before the first run they are kept until an executor exists).
    func setState(_ values: [String: HostTensor]) throws {
        guard let owner, let main = executors[owner] else {
            pending.merge(values) { $1 }
            return
        }
        let known = Set(main.plan.state.map(\.name))
        try main.setState(values.filter { known.contains($0.key) })
    }

    /// Every state tensor by name.
    func allState() throws -> [String: HostTensor] {
        guard let owner, let main = executors[owner] else { return pending }
        var out: [String: HostTensor] = [:]
        for slot in main.plan.state { out[slot.name] = try main.state(named: slot.name) }
        return out
    }

    /// The named state tensors (names the graph has no state for are skipped).
    func state(_ names: [String]) throws -> [String: HostTensor] {
        guard let owner, let main = executors[owner] else { return pending.filter { names.contains($0.key) } }
        let known = Set(main.plan.state.map(\.name))
        var out: [String: HostTensor] = [:]
        for name in names where known.contains(name) { out[name] = try main.state(named: name) }
        return out
    }

    /// The state another graph (e.g. the model's inference graph) has parameters for.
    func stateForGraph(_ graph: Graph) throws -> [String: HostTensor] {
        let names = Set(graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue })
        return try allState().filter { names.contains($0.key) }
    }
}
