// The epilogue of a `fused_matmul` node (made by the `fuse-epilogue` pass): what happens to
// the product, in order, before it is written. Stored in the node's attributes as plain
// `StaticValue`s, so printing and plan files need nothing new:
//   epilogue: [[kind, argument…], …]
//     ["add", "i<k>"]        adds the node's k-th operand (k ≥ 2), broadcast to the result
//     ["scale", c]           multiplies by the constant c
//     [activation, alpha]    an activation: relu, leaky_relu, elu (alpha is theirs), tanh,
//                            sigmoid, gelu (alpha 1: the tanh approximation, 0: exact)

/// One step of a matmul epilogue.
public enum EpilogueStep: Equatable, Sendable {
    /// Adds operand `k` of the node (broadcast to the result shape).
    case add(operand: Int)
    /// Multiplies by a constant.
    case scale(Double)
    /// An activation with its parameter (see `MatMulEpilogue.activations`).
    case activation(String, alpha: Double)
}

/// A decoded epilogue.
public struct MatMulEpilogue: Equatable, Sendable {
    /// The activations an epilogue may apply (the ops of the same names).
    public static let activations: Set<String> = ["relu", "leaky_relu", "elu", "tanh", "sigmoid", "gelu"]

    public var steps: [EpilogueStep]

    public init(steps: [EpilogueStep]) { self.steps = steps }

    /// The `epilogue` attribute.
    public var attribute: StaticValue {
        .list(steps.map { step in
            switch step {
            case .add(let k): .list([.string("add"), .string("i\(k)")])
            case .scale(let c): .list([.string("scale"), .float(c)])
            case .activation(let op, let alpha): .list([.string(op), .float(alpha)])
            }
        })
    }

    /// Decodes the `epilogue` attribute of a node with `operands` operands.
    public init(attribute: StaticValue?, operands: Int) throws {
        guard let list = attribute?.listValue else { throw DLCError("fused_matmul needs an 'epilogue' list") }
        var steps: [EpilogueStep] = []
        for (i, item) in list.enumerated() {
            guard let parts = item.listValue, parts.count == 2, let kind = parts[0].stringValue else {
                throw DLCError("fused_matmul: epilogue step \(i) is malformed: \(item)")
            }
            switch kind {
            case "add":
                guard let s = parts[1].stringValue, s.first == "i", let k = Int(s.dropFirst()), k >= 2, k < operands else {
                    throw DLCError("fused_matmul: epilogue step \(i) adds \(parts[1]), which is not an operand i2…i\(operands - 1)")
                }
                steps.append(.add(operand: k))
            case "scale":
                guard let c = parts[1].doubleValue else { throw DLCError("fused_matmul: epilogue step \(i) scales by \(parts[1]), not a number") }
                steps.append(.scale(c))
            default:
                guard Self.activations.contains(kind) else {
                    throw DLCError("fused_matmul: epilogue step \(i) is '\(kind)'; expected add, scale or one of \(Self.activations.sorted().joined(separator: ", "))")
                }
                guard let alpha = parts[1].doubleValue else { throw DLCError("fused_matmul: epilogue step \(i) ('\(kind)') has the parameter \(parts[1]), not a number") }
                steps.append(.activation(kind, alpha: alpha))
            }
        }
        guard !steps.isEmpty else { throw DLCError("fused_matmul: the epilogue is empty") }
        self.init(steps: steps)
    }
}
