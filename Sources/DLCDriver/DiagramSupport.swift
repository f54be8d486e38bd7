import DLCCore
import DLCRender
import DLCTraining
import DLCFrontend

/// The driver's side of diagrams: the title numbers DLCRender does not compute itself.
public enum DiagramSupport {
    /// Model name, trainable parameters and forward FLOPs per example, from `ModelSummary`.
    public static func title(_ graph: Graph, registry: Registry, note: String? = nil) -> DiagramTitle {
        DiagramTitle(model: graph.name, parameters: graph.trainableParameterCount,
                     flops: ModelSummary(graph: graph, registry: registry).flops, note: note)
    }

    /// The source-stage DOT text of a graph with default options (`dlc compile --emit=dot`).
    public static func dot(_ graph: Graph, registry: Registry, options: RenderOptions = RenderOptions()) -> String {
        Renderer(registry: registry, options: options).dot(graph, title: title(graph, registry: registry))
    }
}

extension DiagramSupport {
    /// Turns `graph` into its training step in place (as `dlc compile --emit=train` does) and
    /// returns what the `train` diagram marks: the nodes the transformation added, the
    /// backward values (gradients and everything computed towards them), the loss minimized.
    public static func trainingStep(_ graph: Graph, sections: [TrainSection], registry: Registry) throws -> DiagramAnnotations {
        let forward = graph.nodes.count
        let config = sections.first { $0.model == graph.name }.map(TrainConfig.init) ?? TrainConfig()
        let step = try TrainingGraph.build(graph, options: config.training, registry: registry)
        // Backward values: the gradients and, walking back through the added nodes, what they come from.
        var backward = Set(step.gradients.values)
        for node in graph.nodes[forward...].reversed() where node.outputs.contains(where: backward.contains) {
            for v in node.inputs where graph[v].producer.index >= forward { backward.insert(v) }
        }
        return DiagramAnnotations(forwardNodeCount: forward, gradientValues: backward, trainedLoss: step.loss)
    }
}
