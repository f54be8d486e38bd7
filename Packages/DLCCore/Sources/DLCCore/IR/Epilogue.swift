// The epilogue of a `fused_matmul` or `fused_convolution` node (made by the `fuse-epilogue`
// pass): what happens to the product or the convolution, in order, before it is written.
// Stored in the node's attributes as plain `StaticValue`s, so printing and plan files need
// nothing new:
//   epilogue: [[kind, argument…], …]
//     ["add", "i<k>"]        adds the node's k-th operand (k ≥ the node's first epilogue
//                            operand), broadcast to the result
//     ["scale", c]           multiplies by the constant c
//     ["relu_mask", "i<k>"]  multiplies by 1 where the node's k-th operand (of the result's
//                            shape) is positive, by 0 elsewhere: the ReLU gradient, applied to
//                            the product that computes the incoming gradient
//     [activation, alpha]    an activation: relu, leaky_relu, elu (alpha is theirs), tanh,
//                            sigmoid, gelu (alpha 1: the tanh approximation, 0: exact)

/// One step of an epilogue.
public enum EpilogueStep: Equatable, Sendable {
    /// Adds operand `k` of the node (broadcast to the result shape).
    case add(operand: Int)
    /// Multiplies by a constant.
    case scale(Double)
    /// Multiplies by `operand k > 0` (1 or 0): the gradient of a ReLU whose result is operand `k`.
    case reluMask(operand: Int)
    /// An activation with its parameter (see `Epilogue.activations`).
    case activation(String, alpha: Double)
}

/// A decoded epilogue.
public struct Epilogue: Equatable, Sendable {
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
            case .reluMask(let k): .list([.string("relu_mask"), .string("i\(k)")])
            case .activation(let op, let alpha): .list([.string(op), .float(alpha)])
            }
        })
    }

    /// The operands the epilogue adds, in order.
    public var addedOperands: [Int] {
        steps.compactMap { if case .add(let k) = $0 { k } else { nil } }
    }

    /// The operands whose positive entries a `relu_mask` step keeps, in order.
    public var maskOperands: [Int] {
        steps.compactMap { if case .reluMask(let k) = $0 { k } else { nil } }
    }

    /// Decodes the `epilogue` attribute of an `op` node with `operands` operands whose added
    /// operands start at `firstOperand` (2 for a matmul: a and b come first).
    public init(attribute: StaticValue?, operands: Int, firstOperand: Int = 2, op: String = "fused_matmul") throws {
        guard let list = attribute?.listValue else { throw DLCError("\(op) needs an 'epilogue' list") }
        var steps: [EpilogueStep] = []
        for (i, item) in list.enumerated() {
            guard let parts = item.listValue, parts.count == 2, let kind = parts[0].stringValue else {
                throw DLCError("\(op): epilogue step \(i) is malformed: \(item)")
            }
            switch kind {
            case "add", "relu_mask":
                guard let s = parts[1].stringValue, s.first == "i", let k = Int(s.dropFirst()), k >= firstOperand, k < operands else {
                    let which = firstOperand < operands ? "which is not an operand i\(firstOperand)…i\(operands - 1)"
                        : "but the node has no operands to \(kind == "add" ? "add" : "mask by")"
                    throw DLCError("\(op): epilogue step \(i) \(kind == "add" ? "adds" : "masks by") \(parts[1]), \(which)")
                }
                steps.append(kind == "add" ? .add(operand: k) : .reluMask(operand: k))
            case "scale":
                guard let c = parts[1].doubleValue else { throw DLCError("\(op): epilogue step \(i) scales by \(parts[1]), not a number") }
                steps.append(.scale(c))
            default:
                guard Self.activations.contains(kind) else {
                    throw DLCError("\(op): epilogue step \(i) is '\(kind)'; expected add, scale, relu_mask or one of \(Self.activations.sorted().joined(separator: ", "))")
                }
                guard let alpha = parts[1].doubleValue else { throw DLCError("\(op): epilogue step \(i) ('\(kind)') has the parameter \(parts[1]), not a number") }
                steps.append(.activation(kind, alpha: alpha))
            }
        }
        guard !steps.isEmpty else { throw DLCError("\(op): the epilogue is empty") }
        self.init(steps: steps)
    }
}
