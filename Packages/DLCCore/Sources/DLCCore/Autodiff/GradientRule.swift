/// What a gradient rule sees: the node being differentiated, and a builder to emit the
/// vector-Jacobian product as IR. Rules emit ops through `builder`; the autodiff pass has
/// already set its scope and source location to the node's.
public struct GradientContext {
    public let builder: GraphBuilder
    /// The node's operands, in signature order.
    public let inputs: [Tensor]
    /// The node's results.
    public let outputs: [Tensor]
    /// The bound operands and attributes, as the shape rule saw them.
    public let arguments: Arguments
    /// The cotangent of each result (same type as the result), or nil where it is zero.
    public let cotangents: [Tensor?]

    public init(builder: GraphBuilder, inputs: [Tensor], outputs: [Tensor], arguments: Arguments, cotangents: [Tensor?]) {
        self.builder = builder
        self.inputs = inputs
        self.outputs = outputs
        self.arguments = arguments
        self.cotangents = cotangents
    }
}

/// A vector-Jacobian product emitted as IR: given the cotangents of an op's results, the
/// cotangent of each operand (nil for an operand with no gradient: integer indices, labels,
/// or a zero contribution). Each returned tensor must have exactly its operand's type;
/// rules of broadcasting ops reduce over the broadcast axes themselves.
public typealias GradientRule = (GradientContext) throws -> [Tensor?]
