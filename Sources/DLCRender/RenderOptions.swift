import DLCCore

/// Which form of a model a diagram shows.
public enum RenderStage: String, CaseIterable, Sendable {
    /// The model as written: inputs, layers and ops, parameters, outputs and losses.
    case source
    /// The optimized graph, each fused kernel a cluster (needs the fusion pass).
    case fused
    /// One training step: forward, backward (gradient edges dashed), optimizer updates.
    case train
    /// The execution plan: order, arena offsets and sizes (needs the CPU back end).
    case plan
}

/// The direction the graph flows in.
public enum RankDir: String, CaseIterable, Sendable {
    /// Top to bottom.
    case TB
    /// Left to right.
    case LR
}

/// How a graph is drawn.
public struct RenderOptions: Sendable {
    public var stage: RenderStage
    /// Scopes nested deeper than this are collapsed into one node each (0: every top-level
    /// scope is one node). Nil picks the deepest level that keeps the diagram under
    /// `autoNodeLimit` nodes.
    public var expandDepth: Int?
    public var rankdir: RankDir
    /// Draw parameters (and constants) as their own small nodes.
    public var showParams: Bool
    /// The node budget of the automatic expansion depth.
    public var autoNodeLimit: Int

    public init(stage: RenderStage = .source, expandDepth: Int? = nil, rankdir: RankDir = .TB,
                showParams: Bool = true, autoNodeLimit: Int = 160) {
        self.stage = stage
        self.expandDepth = expandDepth
        self.rankdir = rankdir
        self.showParams = showParams
        self.autoNodeLimit = autoNodeLimit
    }
}

/// The numbers in a diagram's title. DLCRender does not compute them (FLOPs come from the
/// driver's model summary); whoever renders passes them in.
public struct DiagramTitle: Sendable {
    public var model: String
    /// Trainable parameter elements.
    public var parameters: Int?
    /// Forward FLOPs per example.
    public var flops: Int?
    /// An extra phrase (the stage, the optimizer).
    public var note: String?

    public init(model: String, parameters: Int? = nil, flops: Int? = nil, note: String? = nil) {
        self.model = model
        self.parameters = parameters
        self.flops = flops
        self.note = note
    }
}

/// What a later stage knows about the graph beyond its nodes, for drawing it.
public struct DiagramAnnotations {
    /// Nodes with an index at or past this one were added by the training transformation
    /// (backward and optimizer); drawn with a dashed outline.
    public var forwardNodeCount: Int?
    /// Values that are gradients (or computed only from gradients): their edges are drawn
    /// in the gradient style.
    public var gradientValues: Set<ValueID>
    /// The value the training step minimizes: its node is marked.
    public var trainedLoss: ValueID?

    /// Nodes drawn together as one node whatever their scope (the optimizer's ops that update
    /// one parameter and its state): node index → group key.
    public var groups: [Int: String]
    /// Each group's node: its title and a line under it. A group whose values are state
    /// updates is drawn as the update itself (no separate `update` node).
    public var groupLabels: [String: (title: String, detail: String)]

    public init(forwardNodeCount: Int? = nil, gradientValues: Set<ValueID> = [], trainedLoss: ValueID? = nil,
                groups: [Int: String] = [:], groupLabels: [String: (title: String, detail: String)] = [:]) {
        self.forwardNodeCount = forwardNodeCount
        self.gradientValues = gradientValues
        self.trainedLoss = trainedLoss
        self.groups = groups
        self.groupLabels = groupLabels
    }
}
