// The epilogue of a fused matmul or convolution (`Epilogue`, made by the fuse-epilogue pass)
// as step arguments, the same for both:
//   ints:   [nsteps, (kind, operand, code)…(nsteps)]
//           kind 0 adds an operand of the result's shape, 1 a vector (the matmul's over the last
//           dimension, the convolution's per channel), 2 scales, 3 applies activation `code`
//           (0 relu, 1 leaky_relu, 2 elu, 3 tanh, 4 sigmoid, 5 gelu with the tanh approximation,
//           6 exact gelu), 4 multiplies by (operand > 0) (a ReLU's gradient; matmul only);
//           operand: the step input index of the added or mask tensor (-1 otherwise).
//   floats: [parameter per step] (the scale, or leaky_relu's / elu's alpha)
import DLCCore

/// The activation codes of epilogues.
let epilogueActivationCodes: [String: Int] = ["relu": 0, "leaky_relu": 1, "elu": 2, "tanh": 3, "sigmoid": 4]

/// The kinds of epilogue steps in step arguments.
enum EpilogueKind: Int {
    case add = 0, addVector = 1, scale = 2, activation = 3, reluMask = 4
}

extension Lowerer {
    /// The ints and floats of `epilogue` on a result of shape `out`; each added operand is appended
    /// to `inputs`. `isVector` tells whether an added operand's shape is the kernel's vector form.
    func epilogueArguments(_ node: Node, _ epilogue: Epilogue, out: [Int], inputs: inout [ValueID], vector: String,
                           isVector: ([Int]) -> Bool) throws -> (ints: [Int], floats: [Double]) {
        var ints = [epilogue.steps.count], floats: [Double] = []
        for step in epilogue.steps {
            switch step {
            case .add(let operand):
                let v = node.inputs[operand], s = try shape(v)
                guard dtype(v) == .f32 else { throw node.fail("the added operand \(operand) is \(dtype(v)), not f32") }
                guard s == out || isVector(s) else {
                    throw node.fail("the added operand \(operand) has shape \(s); it must be the result's \(out) or \(vector)")
                }
                // The vector form where both fit (a batch of one): the same sums either way.
                ints += [isVector(s) ? EpilogueKind.addVector.rawValue : EpilogueKind.add.rawValue, inputs.count, -1]
                inputs.append(v)
                floats.append(0)
            case .reluMask(let operand):
                let v = node.inputs[operand]
                guard dtype(v) == .f32, try shape(v) == out else {
                    throw node.fail("the relu_mask operand \(operand) is \(dtype(v))\(try shape(v)); it must be f32 of the result's shape \(out)")
                }
                ints += [EpilogueKind.reluMask.rawValue, inputs.count, -1]
                inputs.append(v)
                floats.append(0)
            case .scale(let c):
                ints += [EpilogueKind.scale.rawValue, -1, -1]
                floats.append(c)
            case .activation(let op, let alpha):
                let code = op == "gelu" ? (alpha != 0 ? 5 : 6) : epilogueActivationCodes[op]
                guard let code else { throw node.fail("the epilogue has no activation '\(op)'") }
                ints += [EpilogueKind.activation.rawValue, -1, code]
                floats.append(alpha)
            }
        }
        return (ints, floats)
    }
}
