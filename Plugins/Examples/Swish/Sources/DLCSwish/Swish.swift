// The swish plugin: an op with its shape rule, gradient rule and kernels, a layer built on
// it, and the entry point dlc calls when it loads the library.
import DLCCore
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The op: swish(x, beta) = x · sigmoid(beta · x)

/// Same shape and type as x; floating-point types only.
func swishShape(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x")
    guard x.dtype.isFloat else {
        throw DLCError("'swish' needs a floating-point tensor, found \(x.type)", operands: [0])
    }
    return [x.type]
}

/// d/dx x·s(βx) = s + βx·s·(1 − s) = s + β·y·(1 − s), with s = sigmoid(βx) and y the result.
/// The rule emits IR: the backward pass is a graph like the forward one.
func swishGradient(_ ctx: GradientContext) throws -> [Tensor?] {
    guard let g = ctx.cotangents[0] else { return [nil] }
    let b = ctx.builder, x = ctx.inputs[0], y = ctx.outputs[0]
    let beta = try ctx.arguments.double("beta")
    let betaC = b.constant(beta, dtype: x.dtype), one = b.constant(1, dtype: x.dtype)
    let s = try b.op1("sigmoid", [try b.op1("mul", [x, betaC])])
    let slope = try b.op1("add", [s, try b.op1("mul", [try b.op1("mul", [y, betaC]), try b.op1("sub", [one, s])])])
    return [try b.op1("mul", [g, slope])]
}

/// The reference kernel: exact, in Double.
func swishReference(_ call: KernelCall) throws {
    let beta = try call.double("beta")
    func run<T: BinaryFloatingPoint>(_: T.Type) {
        let x = call.input(0, as: T.self), y = call.output(0, as: T.self)
        for i in 0..<x.count {
            let v = Double(x[i])
            y[i] = T(v / (1 + exp(-beta * v)))
        }
    }
    switch call.inputTypes[0] {
    case .f32: run(Float.self)
    case .f64: run(Double.self)
    default: throw DLCError("swish: element type \(call.inputTypes[0]) is not supported")
    }
}

/// The CPU kernel: one pass over the buffer in the element type.
func swishCPU(_ call: KernelCall) throws {
    let beta = try call.double("beta")
    switch call.inputTypes[0] {
    case .f32:
        let x = call.input(0, as: Float.self), y = call.output(0, as: Float.self), b = Float(beta)
        for i in 0..<x.count { y[i] = x[i] / (1 + expf(-b * x[i])) }
    case .f64:
        let x = call.input(0, as: Double.self), y = call.output(0, as: Double.self)
        for i in 0..<x.count { y[i] = x[i] / (1 + exp(-beta * x[i])) }
    default:
        throw DLCError("swish: element type \(call.inputTypes[0]) is not supported")
    }
}

// MARK: - The layer: swish_dense(x, units, beta) = swish(x · weightᵀ + bias)

func expandSwishDense(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let x = try args.tensor("x")
    let units = try args.positiveInt("units")
    guard x.dtype.isFloat, let features = x.shape.last?.value else {
        throw DLCError("'swish_dense' needs a floating-point tensor whose last dimension is known, found \(x.type)", operands: [0])
    }
    let bound = 1 / Double(features).squareRoot()  // PyTorch's Linear initialization
    let w = try b.param("weight", shape: [units, features], dtype: x.dtype, initializer: .uniform(low: -bound, high: bound))
    let bias = try b.param("bias", shape: [units], dtype: x.dtype, initializer: .uniform(low: -bound, high: bound))
    let h = try b.op1("add", [try b.op1("matmul", [x, w], ["transpose_b": .bool(true)]), bias])
    return [try b.op1("swish", [h], ["beta": args.statics["beta"] ?? .float(1)])]
}

// MARK: - Registration

public let swishPlugin = Plugin(name: "swish", summary: "the swish activation x·sigmoid(beta·x) and a dense layer using it") { r in
    try r.register(OpSpec("swish", family: .activation,
                          signature: Signature([ArgSpec("x", .tensor), ArgSpec("beta", .float, default: .float(1))]),
                          summary: "Swish (SiLU when beta = 1): x · sigmoid(beta · x).",
                          infer: swishShape))
    try r.setGradient(of: "swish", swishGradient)
    try r.setKernel(of: "swish", for: .reference, swishReference)
    try r.setKernel(of: "swish", for: .cpu, swishCPU)
    try r.register(LayerSpec("swish_dense",
                             signature: Signature([ArgSpec("x", .tensor, doc: "[..., in]"), ArgSpec("units", .int),
                                                   ArgSpec("beta", .float, default: .float(1))]),
                             summary: "Dense layer followed by swish (weight [units, in], bias [units]).",
                             createsParameters: true, expand: expandSwishDense))
}

// MARK: - The entry point

/// The ABI version this plugin reports: the one it was compiled against. The environment
/// variable lets dlc's tests pretend to be an older plugin.
func reportedABIVersion() -> Int32 {
    if let s = getenv("DLC_SWISH_FAKE_ABI_VERSION"), let v = Int32(String(cString: s)) { return v }
    return dlcPluginABIVersion
}

/// Called by dlc with its own ABI version; returns the plugin's (see docs/plugins.md).
@_cdecl("dlc_plugin_register")
public func dlcPluginRegister(_ hostABIVersion: Int32) -> Int32 {
    PluginExports.offer([swishPlugin], hostABIVersion: hostABIVersion, pluginABIVersion: reportedABIVersion())
}
