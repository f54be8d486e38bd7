import DLCCore

/// A `batch_norm` the training step trains with batch statistics: the node (now
/// `batch_norm_training`), its batch mean and variance, and the running statistics they update.
struct BatchNormSite {
    var x: ValueID
    var batchMean: ValueID
    var batchVariance: ValueID
    var runningMean: ValueID
    var runningVariance: ValueID
    var momentum: Double
    /// The batch norm's place in the source, for the running statistics' updates.
    var location: SourceRange
}

extension TrainingGraph {
    /// Puts a `batch_norm_training` node in place of every f32 `batch_norm` (same place, same
    /// result value): it also returns the batch mean and biased variance, which the running
    /// statistics use instead of computing them again, and its gradient is one
    /// `batch_norm_backward` — both oneDNN primitives on the CPU. Other element types keep
    /// `batch_norm`, whose gradient is composed of elementwise ops and reductions.
    static func useTrainingBatchNorm(_ graph: Graph) -> [BatchNormSite] {
        var values = graph.values
        var nodes = graph.nodes
        var sites: [BatchNormSite] = []
        for (i, node) in graph.nodes.enumerated() where node.op == "batch_norm" && node.inputs.count == 5 {
            let x = graph[node.inputs[0]].type
            guard x.dtype == .f32, x.rank == 2 || x.rank == 4 else { continue }
            let channels = TensorType(x.dtype, [x.shape[1]])
            var stats: [ValueID] = []
            for suffix in ["batch_mean", "batch_var"] {
                let id = ValueID(values.count)
                let name = graph[node.outputs[0]].name.map { "\($0).\(suffix)" }
                values.append(Value(id: id, type: channels, name: name, location: node.location, producer: node.id))
                stats.append(id)
            }
            nodes[i].op = "batch_norm_training"
            nodes[i].inputs = Array(node.inputs.prefix(3))
            nodes[i].outputs = [node.outputs[0]] + stats
            nodes[i].attributes = ["eps": node.attributes["eps"] ?? .float(1e-5)]
            sites.append(BatchNormSite(x: node.inputs[0], batchMean: stats[0], batchVariance: stats[1],
                                       runningMean: node.inputs[3], runningVariance: node.inputs[4],
                                       momentum: node.attributes["momentum"]?.doubleValue ?? 0.1, location: node.location))
        }
        if !sites.isEmpty { graph.replaceContents(values: values, nodes: nodes) }
        return sites
    }

    /// running ← (1 − momentum)·running + momentum·batch statistic, from the statistics
    /// `batch_norm_training` returned (or, for other element types, computed as ops).
    static func runningStatistics(_ b: GraphBuilder, _ sites: [BatchNormSite]) throws -> [NamedValue] {
        var updates: [NamedValue] = []
        for site in sites {
            let graph = b.graph
            let dtype = graph[site.x].type.dtype
            let m = b.constant(site.momentum, dtype: dtype), keep = b.constant(1 - site.momentum, dtype: dtype)
            for (runningID, statistic) in [(site.runningMean, site.batchMean), (site.runningVariance, site.batchVariance)] {
                guard let name = graph.producer(of: runningID).attributes["name"]?.stringValue else { continue }
                let running = b.tensor(runningID)
                let new = try b.op1("add", [try b.op1("mul", [running, keep]), try b.op1("mul", [b.tensor(statistic), m])])
                updates.append(NamedValue(name: name, value: new.id, location: site.location))
            }
        }
        return updates
    }
}
