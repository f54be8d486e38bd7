import DLCCore
import DLCRender

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
