import DLCCore

/// Graph → diagram → DOT → picture, in one call.
public struct Renderer {
    public let registry: Registry
    public var options: RenderOptions

    public init(registry: Registry, options: RenderOptions = RenderOptions()) {
        self.registry = registry
        self.options = options
    }

    /// The diagram of a graph at this renderer's options.
    public func diagram(_ graph: Graph, title: DiagramTitle? = nil,
                        annotations: DiagramAnnotations = DiagramAnnotations()) -> Diagram {
        Diagram.build(graph, registry: registry, options: options, title: title, annotations: annotations)
    }

    /// The DOT text of a graph.
    public func dot(_ graph: Graph, title: DiagramTitle? = nil,
                    annotations: DiagramAnnotations = DiagramAnnotations()) -> String {
        DotWriter().write(diagram(graph, title: title, annotations: annotations))
    }

    /// The DOT text of an execution plan (the `plan` stage).
    public func dot(plan: PlanSketch, title: DiagramTitle? = nil) -> String {
        DotWriter().write(Diagram.build(plan: plan, options: options, title: title))
    }

    /// The picture of an execution plan in a format.
    public func render(plan: PlanSketch, format: OutputFormat, title: DiagramTitle? = nil) throws -> [UInt8] {
        try Graphviz.render(dot: dot(plan: plan, title: title), format: format)
    }

    /// The picture of a graph in a format.
    public func render(_ graph: Graph, format: OutputFormat, title: DiagramTitle? = nil,
                       annotations: DiagramAnnotations = DiagramAnnotations()) throws -> [UInt8] {
        try Graphviz.render(dot: dot(graph, title: title, annotations: annotations), format: format)
    }
}
