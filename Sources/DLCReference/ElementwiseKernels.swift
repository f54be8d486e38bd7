// Elementwise kernels: unary math and activations, binary arithmetic with NumPy broadcasting,
// comparisons (→ bool), logical ops, where and cast. Floats are computed in Double and stored
// in the result's dtype; integers in Int64 (i32 wraps); integer `div` floors like NumPy's `//`
// (division by zero gives 0, as NumPy does).
import DLCCore
import Foundation

/// A unary op on floats, with an optional exact integer form.
private struct UnaryMath {
    let float: (Double, Arguments) throws -> Double
    let int: ((Int64, Arguments) throws -> Int64)?
}

private let sqrtHalf = 0.5.squareRoot()

/// The stable logistic function.
func sigmoid(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + exp(-x)) }
    let e = exp(x)
    return e / (1 + e)
}

/// log(1 + e^x) without overflow.
func softplus(_ x: Double) -> Double { max(x, 0) + log1p(exp(-abs(x))) }

private let unaryTable: [String: UnaryMath] = [
    "neg": UnaryMath(float: { x, _ in -x }, int: { x, _ in 0 &- x }),
    "abs": UnaryMath(float: { x, _ in abs(x) }, int: { x, _ in x < 0 ? 0 &- x : x }),
    "exp": UnaryMath(float: { x, _ in exp(x) }, int: nil),
    "log": UnaryMath(float: { x, _ in log(x) }, int: nil),
    "sqrt": UnaryMath(float: { x, _ in x.squareRoot() }, int: nil),
    "rsqrt": UnaryMath(float: { x, _ in 1 / x.squareRoot() }, int: nil),
    "square": UnaryMath(float: { x, _ in x * x }, int: { x, _ in x &* x }),
    "reciprocal": UnaryMath(float: { x, _ in 1 / x }, int: nil),
    "sin": UnaryMath(float: { x, _ in sin(x) }, int: nil),
    "cos": UnaryMath(float: { x, _ in cos(x) }, int: nil),
    "tanh": UnaryMath(float: { x, _ in tanh(x) }, int: nil),
    "sigmoid": UnaryMath(float: { x, _ in sigmoid(x) }, int: nil),
    "relu": UnaryMath(float: { x, _ in x.isNaN ? x : (x > 0 ? x : 0) }, int: { x, _ in x > 0 ? x : 0 }),
    "gelu": UnaryMath(float: { x, a in
        if try a.bool("approximate") {
            let c = (2 / Double.pi).squareRoot()
            return 0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x)))
        }
        return 0.5 * x * (1 + erf(x * sqrtHalf))
    }, int: nil),
    "softplus": UnaryMath(float: { x, _ in softplus(x) }, int: nil),
    "sign": UnaryMath(float: { x, _ in x.isNaN ? x : (x > 0 ? 1 : (x < 0 ? -1 : 0)) }, int: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }),
    "floor": UnaryMath(float: { x, _ in x.rounded(.down) }, int: nil),
    "ceil": UnaryMath(float: { x, _ in x.rounded(.up) }, int: nil),
    "round": UnaryMath(float: { x, _ in x.rounded(.toNearestOrEven) }, int: nil),
    "leaky_relu": UnaryMath(float: { x, a in x > 0 ? x : try a.double("alpha") * x }, int: nil),
    "elu": UnaryMath(float: { x, a in x > 0 ? x : try a.double("alpha") * expm1(x) }, int: nil),
    "clip": UnaryMath(float: { x, a in
        let lo = try a.double("min"), hi = try a.double("max")
        return x.isNaN ? x : min(max(x, lo), hi)
    }, int: { x, a in
        // NumPy: clip an integer array to float bounds, then store back (truncating).
        let lo = try a.double("min"), hi = try a.double("max")
        return truncatedInt64(min(max(Double(x), lo), hi))
    }),
]

/// A binary op: float form and exact integer form.
private struct BinaryMath {
    let float: (Double, Double) -> Double
    let int: (Int64, Int64) -> Int64
}

/// Integer power (non-negative exponents; a negative one gives 0 unless the base is ±1).
private func intPow(_ a: Int64, _ b: Int64) -> Int64 {
    if b < 0 { return a == 1 ? 1 : (a == -1 ? (b % 2 == 0 ? 1 : -1) : 0) }
    var result: Int64 = 1, base = a, e = b
    while e > 0 {
        if e & 1 == 1 { result = result &* base }
        base = base &* base
        e >>= 1
    }
    return result
}

/// NumPy's `//` on integers (floor), 0 on division by zero.
private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    if b == 0 { return 0 }
    if a == .min && b == -1 { return .min }
    let q = a / b
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
}

/// NaN-propagating maximum and minimum (torch.maximum / minimum).
private func nanMax(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : max(a, b) }
private func nanMin(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : min(a, b) }

private let binaryTable: [String: BinaryMath] = [
    "add": BinaryMath(float: +, int: { $0 &+ $1 }),
    "sub": BinaryMath(float: -, int: { $0 &- $1 }),
    "mul": BinaryMath(float: *, int: { $0 &* $1 }),
    "div": BinaryMath(float: /, int: floorDiv),
    "pow": BinaryMath(float: { pow($0, $1) }, int: intPow),
    "maximum": BinaryMath(float: nanMax, int: { max($0, $1) }),
    "minimum": BinaryMath(float: nanMin, int: { min($0, $1) }),
]

private let comparisonTable: [String: (Double, Double) -> Bool] = [
    "equal": { $0 == $1 }, "not_equal": { $0 != $1 },
    "less": { $0 < $1 }, "less_equal": { $0 <= $1 },
    "greater": { $0 > $1 }, "greater_equal": { $0 >= $1 },
]

private let intComparisonTable: [String: (Int64, Int64) -> Bool] = [
    "equal": { $0 == $1 }, "not_equal": { $0 != $1 },
    "less": { $0 < $1 }, "less_equal": { $0 <= $1 },
    "greater": { $0 > $1 }, "greater_equal": { $0 >= $1 },
]

/// Operands of a binary op broadcast to the result shape: index maps into each.
private func broadcastPair(_ ctx: ReferenceKernelContext, op: String) throws -> (HostTensor, HostTensor, [Int], [Int], [Int]) {
    let a = ctx.inputs[0], b = ctx.inputs[1]
    guard let shape = broadcastShapes(a.shape, b.shape) else {
        throw kernelError(op, "cannot broadcast \(a.shape) and \(b.shape)")
    }
    return (a, b, broadcastIndices(from: a.shape, to: shape), broadcastIndices(from: b.shape, to: shape), shape)
}

func registerElementwiseKernels(_ k: ReferenceKernels) {
    for (name, math) in unaryTable {
        k.register(name) { ctx in
            let x = ctx.inputs[0], dtype = ctx.outputTypes[0]
            if !dtype.isFloat, let intForm = math.int {
                return [HostTensor.fromInts(try x.int64s.map { try intForm($0, ctx.arguments) }, shape: x.shape, dtype: dtype)]
            }
            return [HostTensor.from(try x.doubles.map { try math.float($0, ctx.arguments) }, shape: x.shape, dtype: dtype)]
        }
    }
    k.register("logical_not") { ctx in [HostTensor.fromBools(ctx.inputs[0].bools.map { !$0 }, shape: ctx.inputs[0].shape)] }
    for (name, math) in binaryTable {
        k.register(name) { ctx in
            let (a, b, ia, ib, shape) = try broadcastPair(ctx, op: name)
            let dtype = ctx.outputTypes[0]
            if dtype.isFloat {
                let x = a.doubles, y = b.doubles
                return [HostTensor.from(zip(ia, ib).map { math.float(x[$0], y[$1]) }, shape: shape, dtype: dtype)]
            }
            let x = a.int64s, y = b.int64s
            return [HostTensor.fromInts(zip(ia, ib).map { math.int(x[$0], y[$1]) }, shape: shape, dtype: dtype)]
        }
    }
    for (name, f) in [("logical_and", { (p: Bool, q: Bool) in p && q }), ("logical_or", { (p: Bool, q: Bool) in p || q })] {
        k.register(name) { ctx in
            let (a, b, ia, ib, shape) = try broadcastPair(ctx, op: name)
            let x = a.bools, y = b.bools
            return [HostTensor.fromBools(zip(ia, ib).map { f(x[$0], y[$1]) }, shape: shape)]
        }
    }
    for (name, f) in comparisonTable {
        let fi = intComparisonTable[name]!
        k.register(name) { ctx in
            let (a, b, ia, ib, shape) = try broadcastPair(ctx, op: name)
            if a.dtype.isFloat {
                let x = a.doubles, y = b.doubles
                return [HostTensor.fromBools(zip(ia, ib).map { f(x[$0], y[$1]) }, shape: shape)]
            }
            let x = a.int64s, y = b.int64s
            return [HostTensor.fromBools(zip(ia, ib).map { fi(x[$0], y[$1]) }, shape: shape)]
        }
    }
    k.register("where") { ctx in
        let c = ctx.inputs[0], a = ctx.inputs[1], b = ctx.inputs[2], shape = ctx.outputShapes[0]
        let ic = broadcastIndices(from: c.shape, to: shape), ia = broadcastIndices(from: a.shape, to: shape)
        let ib = broadcastIndices(from: b.shape, to: shape)
        let cond = c.bools
        let joined = HostTensor.joinedStorage([a, b])
        let idx = (0..<ic.count).map { cond[ic[$0]] ? ia[$0] : a.count + ib[$0] }
        return [joined.take(idx, shape: shape)]
    }
    k.register("cast") { ctx in [ctx.inputs[0].cast(to: ctx.outputTypes[0])] }
    k.register("stop_gradient") { ctx in [ctx.inputs[0]] }
}
