import DLCCore
import DLCPasses

/// What `TrainingGraph.build` made of a model graph.
public struct TrainingStep {
    /// The value minimized: the chosen loss plus penalties. Exposed as output `train.loss`.
    public let loss: ValueID
    /// The gradient of each trainable parameter, by name.
    public let gradients: [String: ValueID]
}

/// Turns a model's graph into one training step, in place, so that fusion and memory planning
/// later see all of it: forward, loss (+ L1/L2 penalties), backward (the `autodiff` pass's
/// engine), gradient clipping by global norm, the optimizer update of every trainable
/// parameter (frozen ones excepted), and batch norm's running statistics. New parameter values are `graph.updates`.
///
/// Inputs it adds: `train.lr` (f32 scalar: the learning rate of this step, fed by the loop so
/// schedules run on the host). State it adds: `train.step` (the step count, starting at 0
/// and incremented first, so updates see t = 1, 2, …) and the optimizer's moments.
public enum TrainingGraph {
    public static let learningRateInput = "train.lr"
    public static let stepState = "train.step"
    public static let lossOutput = "train.loss"

    /// - Throws: `DLCError` when the model has no (or no such) loss, or a gradient is missing.
    public static func build(_ graph: Graph, options: TrainingOptions, registry: Registry) throws -> TrainingStep {
        let lossDecl: NamedValue
        if let name = options.loss {
            guard let l = graph.losses.first(where: { $0.name == name }) else {
                throw DLCError("model '\(graph.name)' has no loss '\(name)'")
            }
            lossDecl = l
        } else {
            guard let l = graph.losses.first else { throw DLCError("model '\(graph.name)' declares no loss to train") }
            guard graph.losses.count == 1 else {
                throw DLCError("model '\(graph.name)' declares \(graph.losses.count) losses; choose one with 'loss: NAME'")
            }
            lossDecl = l
        }
        // The loss over a log-softmax becomes one cross_entropy before its gradient is built.
        FuseSoftmaxLossPass().run(on: graph, context: PassContext(registry: registry, diagnostics: DiagnosticEngine()))
        let b = GraphBuilder(graph: graph, registry: registry)
        b.location = lossDecl.location
        b.scope = "train"
        let params = graph.paramNodes.filter { $0.attributes["trainable"] != .bool(false) }
            .map { (name: $0.attributes["name"]?.stringValue ?? "?", tensor: b.tensor($0.outputs[0])) }
            .filter { !options.frozen.contains($0.name) }
        let trainedBatchNorms = useTrainingBatchNorm(graph)
        let batchNorms = graph.nodes.filter { $0.op == "batch_norm" }

        var loss = b.tensor(lossDecl.value)
        loss = try addPenalties(b, loss, params: params.map(\.tensor), options: options)

        let dtype = loss.dtype
        let lr = b.input(name: learningRateInput, type: .scalar(dtype), location: lossDecl.location)
        let step0 = try b.rootParam(stepState, shape: [], dtype: dtype, initializer: .zeros, trainable: false)
        let step = try b.op1("add", [step0, b.constant(1, dtype: dtype)])

        let grads = try Autodiff.differentiate(graph, loss: loss.id, wrt: params.map(\.tensor.id), registry: registry)
        var gradients: [(name: String, param: Tensor, grad: Tensor)] = []
        for p in params {
            guard let g = grads[p.tensor.id] else { continue }  // the loss does not depend on it
            gradients.append((p.name, p.tensor, b.tensor(g)))
        }
        if let clip = options.clipNorm {
            gradients = try clipByGlobalNorm(b, gradients, clip: clip)
        }

        var updates: [NamedValue] = [NamedValue(name: stepState, value: step.id, location: lossDecl.location)]
        let optimizer = OptimizerUpdate(b: b, config: options.optimizer, lr: lr, step: step)
        for (name, param, grad) in gradients {
            for (stateName, value) in try optimizer.update(param: param, named: name, grad: grad) {
                updates.append(NamedValue(name: stateName, value: value.id, location: lossDecl.location))
            }
        }
        updates += try runningStatistics(b, trainedBatchNorms)
        updates += try runningStatistics(b, batchNorms)
        graph.updates += updates
        graph.outputs.append(NamedValue(name: lossOutput, value: loss.id, location: lossDecl.location))
        return TrainingStep(loss: loss.id, gradients: Dictionary(uniqueKeysWithValues: gradients.map { ($0.name, $0.grad.id) }))
    }

    /// loss + l1·Σ|w| + l2·Σw² over the weights (trainable parameters of rank ≥ 2).
    static func addPenalties(_ b: GraphBuilder, _ loss: Tensor, params: [Tensor], options: TrainingOptions) throws -> Tensor {
        var total = loss
        for (coefficient, op) in [(options.l1, "l1_penalty"), (options.l2, "l2_penalty")] where coefficient != 0 {
            for w in params where w.rank >= 2 {
                let term = try b.op1("mul", [try b.op1(op, [w]), b.constant(coefficient, dtype: loss.dtype)])
                total = try b.op1("add", [total, term])
            }
        }
        return total
    }

    /// Scales every gradient by min(1, clip / (‖g‖ + 1e-6)), ‖g‖ the L2 norm of all of them.
    static func clipByGlobalNorm(_ b: GraphBuilder, _ grads: [(name: String, param: Tensor, grad: Tensor)],
                                 clip: Double) throws -> [(name: String, param: Tensor, grad: Tensor)] {
        guard let first = grads.first else { return grads }
        let dtype = first.grad.dtype
        var sumSquares: Tensor?
        for g in grads {
            let s = try b.op1("sum", [try b.op1("square", [g.grad])])
            sumSquares = try sumSquares.map { try b.op1("add", [$0, s]) } ?? s
        }
        let norm = try b.op1("sqrt", [sumSquares!])
        let scale = try b.op1("minimum", [b.constant(1, dtype: dtype),
                                          try b.op1("div", [b.constant(clip, dtype: dtype),
                                                            try b.op1("add", [norm, b.constant(1e-6, dtype: dtype)])])])
        return try grads.map { ($0.name, $0.param, try b.op1("mul", [$0.grad, scale])) }
    }

    /// running ← (1 − momentum)·running + momentum·batch statistic, for each batch_norm in
    /// training mode. The variance is the batch's biased variance (PyTorch uses the unbiased
    /// one here; the batch size is symbolic at compile time — a documented difference).
    static func runningStatistics(_ b: GraphBuilder, _ nodes: [Node]) throws -> [NamedValue] {
        let sites = try nodes.map { node -> BatchNormSite in
            let x = b.tensor(node.inputs[0])
            let axes: [StaticValue] = [.int(0)] + (x.rank > 2 ? (2..<x.rank).map { .int($0) } : [])
            let mean = try b.op1("mean", [x], ["axes": .list(axes), "keepdims": .bool(true)])
            let variance = try b.op1("mean", [try b.op1("square", [try b.op1("sub", [x, mean])])], ["axes": .list(axes)])
            let batchMean = try b.op1("mean", [x], ["axes": .list(axes)])
            return BatchNormSite(x: x.id, batchMean: batchMean.id, batchVariance: variance.id, runningMean: node.inputs[3],
                                 runningVariance: node.inputs[4], momentum: node.attributes["momentum"]?.doubleValue ?? 0.1,
                                 location: node.location)
        }
        return try runningStatistics(b, sites)
    }
}
