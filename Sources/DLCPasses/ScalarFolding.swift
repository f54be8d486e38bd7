// Constant folding's arithmetic: the value of an elementwise op applied to rank-0 constants,
// computed in Double (as the reference interpreter does) and stored as the constant's value.
import DLCCore
import Foundation

enum ScalarFolding {
    /// The value of `op` on `operands`, or nil when the op is not one this folds.
    static func fold(_ op: String, _ operands: [Double], attributes: Attributes) -> Double? {
        switch (op, operands.count) {
        case ("neg", 1): return -operands[0]
        case ("abs", 1): return abs(operands[0])
        case ("exp", 1): return exp(operands[0])
        case ("log", 1): return log(operands[0])
        case ("sqrt", 1): return operands[0].squareRoot()
        case ("rsqrt", 1): return 1 / operands[0].squareRoot()
        case ("square", 1): return operands[0] * operands[0]
        case ("reciprocal", 1): return 1 / operands[0]
        case ("sin", 1): return sin(operands[0])
        case ("cos", 1): return cos(operands[0])
        case ("tanh", 1): return tanh(operands[0])
        case ("sigmoid", 1): return 1 / (1 + exp(-operands[0]))
        case ("relu", 1): return max(operands[0], 0)
        case ("softplus", 1): return log1p(exp(operands[0]))
        case ("add", 2): return operands[0] + operands[1]
        case ("sub", 2): return operands[0] - operands[1]
        case ("mul", 2): return operands[0] * operands[1]
        case ("div", 2): return operands[0] / operands[1]
        case ("pow", 2): return pow(operands[0], operands[1])
        case ("maximum", 2): return max(operands[0], operands[1])
        case ("minimum", 2): return min(operands[0], operands[1])
        default: return nil
        }
    }
}
