/// The family an op belongs to: how diagrams colour it and how summaries group it.
public enum OpFamily: String, Sendable, CaseIterable {
    case source, convolution, matmul, pooling, normalization, activation, elementwise
    case reduction, dataMovement = "data-movement", loss, optimizer, random, recurrent, attention, other
}

/// A primitive operation the executor can run: its name, its arguments (tensor operands and
/// attributes), its shape rule, and its cost. Shape rules throw `DLCError`; the message
/// should name both operand types and the dimensions that disagree.
public struct OpSpec {
    public let name: String
    public let family: OpFamily
    public let signature: Signature
    /// One line for `dlc plugins` and the docs.
    public let summary: String
    /// The types of the outputs, from the bound operands and attributes.
    public let infer: (Arguments) throws -> [TensorType]
    /// Floating-point operations for the given arguments and output types; by default one
    /// per output element for elementwise families and zero for the rest.
    public let flops: ((Arguments, [TensorType]) -> Int)?
    /// False for ops that have no gradient by nature (comparisons, argmax, random sampling).
    public let differentiable: Bool
    /// The vector-Jacobian product, for differentiable ops. An op that is differentiable
    /// but has no rule is rejected by the autodiff pass with its name and location.
    public var gradient: GradientRule?
    /// Set by the registry: the plugin that registered the op.
    public internal(set) var plugin: String = ""

    public init(_ name: String, family: OpFamily, signature: Signature, summary: String,
                differentiable: Bool = true,
                flops: ((Arguments, [TensorType]) -> Int)? = nil,
                gradient: GradientRule? = nil,
                infer: @escaping (Arguments) throws -> [TensorType]) {
        self.name = name
        self.gradient = gradient
        self.family = family
        self.signature = signature
        self.summary = summary
        self.differentiable = differentiable
        self.flops = flops
        self.infer = infer
    }

    /// Binds operands given in signature order and attributes by name (see `Signature.bind`).
    public func bind(inputs: [Tensor], attributes: Attributes) throws -> Arguments {
        try signature.bind(inputs: inputs, attributes: attributes, callee: "op '\(name)'")
    }

    /// The cost of one application.
    public func cost(_ args: Arguments, _ outputs: [TensorType]) -> Int {
        if let flops { return flops(args, outputs) }
        switch family {
        case .elementwise, .activation: return outputs.reduce(0) { $0 + $1.elementCount() }
        default: return 0
        }
    }
}

/// A layer a `.dlg` author calls (`dense`, `conv2d`, `lstm`): it creates named parameters
/// and expands into ops through a `GraphBuilder`.
public struct LayerSpec {
    public let name: String
    public let signature: Signature
    public let summary: String
    /// Whether a call creates parameters (and so a name scope, `fc1.weight`).
    public let createsParameters: Bool
    /// Expands one call. Returns the layer's results (several for a tuple, e.g. `lstm`).
    public let expand: (GraphBuilder, Arguments) throws -> [Tensor]
    /// Set by the registry: the plugin that registered the layer.
    public internal(set) var plugin: String = ""

    public init(_ name: String, signature: Signature, summary: String, createsParameters: Bool,
                expand: @escaping (GraphBuilder, Arguments) throws -> [Tensor]) {
        self.name = name
        self.signature = signature
        self.summary = summary
        self.createsParameters = createsParameters
        self.expand = expand
    }
}
