// The public surface of the reference interpreter: kernels, their context, the kernel table,
// the seeded random source and the result of a run.
import DLCCore
import Foundation

/// A reference kernel: computes an op's results naively and exactly (float math in Double).
public typealias ReferenceKernel = (ReferenceKernelContext) throws -> [HostTensor]

/// What a reference kernel sees when it runs one node.
public struct ReferenceKernelContext {
    /// Operands in signature order (optional operands that are absent are left out).
    public let inputs: [HostTensor]
    /// Bound attributes (defaults filled), as the shape rule saw them; tensor arguments carry
    /// their concrete types.
    public let arguments: Arguments
    /// Concrete result shapes (symbols bound).
    public let outputShapes: [[Int]]
    /// Result element types.
    public let outputTypes: [DType]
    /// Seeded, for random ops and dropout. The interpreter gives each node its own stream,
    /// derived from the run's seed and the node's index.
    public var rng: RandomSource
    /// Whether the graph runs in training mode (dropout samples, batch_norm uses batch statistics).
    public let training: Bool

    public init(inputs: [HostTensor], arguments: Arguments, outputShapes: [[Int]], outputTypes: [DType],
                rng: RandomSource = RandomSource(seed: 0), training: Bool = true) {
        self.inputs = inputs
        self.arguments = arguments
        self.outputShapes = outputShapes
        self.outputTypes = outputTypes
        self.rng = rng
        self.training = training
    }
}

/// Op name → reference kernel. `ReferenceKernels.standard` has every built-in op; plugins
/// (or tests) may register more on their own table or on `standard`.
public final class ReferenceKernels {
    private var table: [String: ReferenceKernel] = [:]

    /// A table with every op of the built-in plugin.
    public static let standard: ReferenceKernels = {
        let k = ReferenceKernels()
        registerElementwiseKernels(k)
        registerMatMulKernels(k)
        registerReductionKernels(k)
        registerShapeKernels(k)
        registerIndexingKernels(k)
        registerConvolutionKernels(k)
        registerPoolingKernels(k)
        registerNormalizationKernels(k)
        registerBatchNormTrainingKernels(k)
        registerLossKernels(k)
        registerRandomKernels(k)
        registerBackwardKernels(k)
        registerFusedKernels(k)
        registerFusedMatMulKernel(k)
        registerFusedConvolutionKernel(k)
        registerBatchSummedMatMulKernel(k)
        return k
    }()

    /// An empty table.
    public init() {}

    /// Adds or replaces the kernel of an op.
    public func register(_ op: String, _ kernel: @escaping ReferenceKernel) { table[op] = kernel }

    /// The kernel of an op, if any.
    public func kernel(for op: String) -> ReferenceKernel? { table[op] }

    /// The ops that have a kernel, sorted.
    public var ops: [String] { table.keys.sorted() }
}

/// The values computed by one run of a graph.
public struct ReferenceResult {
    /// Every value of the graph.
    public var values: [ValueID: HostTensor]
    /// The graph's outputs by name.
    public var outputs: [String: HostTensor]
    /// The graph's losses by name.
    public var losses: [String: HostTensor]
    /// `graph.updates` evaluated: the new value of each named parameter.
    public var updates: [String: HostTensor]

    public init(values: [ValueID: HostTensor] = [:], outputs: [String: HostTensor] = [:],
                losses: [String: HostTensor] = [:], updates: [String: HostTensor] = [:]) {
        self.values = values
        self.outputs = outputs
        self.losses = losses
        self.updates = updates
    }
}

/// A small deterministic random generator (SplitMix64 seeding xoshiro256**).
public struct RandomSource {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (next(), next(), next(), next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller; one draw of two uniforms per sample).
    public mutating func normal() -> Double {
        let u1 = 1 - nextDouble()  // (0, 1]
        let u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Mixes two words into a seed (for per-node and per-parameter streams).
func mixSeed(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A stable 64-bit hash of a string (FNV-1a), for per-parameter seeds.
func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
