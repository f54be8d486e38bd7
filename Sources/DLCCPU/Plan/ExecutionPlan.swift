// The lowered program the executor runs: a fixed schedule of kernel steps over buffers whose
// places are decided up front. Every buffer lives in one of four regions of one allocation:
// the arena (intermediates, planned by `MemoryPlanner` so that buffers with disjoint lifetimes
// share bytes), the inputs, the persistent state (parameters) and the constants. A view
// (reshape, flatten, squeeze, expand_dims, stop_gradient, inference dropout) is a buffer at
// its source's place: no step, no copy. Symbolic dimensions are bound when the plan is built,
// so every step has concrete shapes; a plan is rebuilt (or taken from `PlanCache`) for
// another batch size.
import DLCCore

/// Where a buffer lives in the executor's memory.
public enum BufferRegion: UInt8, Sendable, CaseIterable {
    case arena = 0, input = 1, state = 2, constant = 3
}

/// One tensor of the plan at a fixed place.
public struct PlanBuffer: Equatable, Sendable {
    /// The value's source name, or `%index`.
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var region: BufferRegion
    /// Byte offset inside its region.
    public var offset: Int
    /// The buffer this one is a view of (same bytes), if any.
    public var viewOf: Int?
    /// Size in bytes.
    public var bytes: Int { shape.reduce(1, *) * dtype.byteSize }
    public var count: Int { shape.reduce(1, *) }
}

/// The kernels the executor knows. The meaning of a step's `ints` and `floats` is documented
/// at each case's lowering (`Lowering.swift` and its extensions).
public enum KernelKind: String, Sendable, CaseIterable {
    case fill, unary, binary, select, cast, copy, gather, oneHot
    case reduce, argReduce, softmax, layerNorm, batchNorm, lrn, meanRows
    case crossEntropy, pairLoss, penalty, random
    case geluBackward, scatterAdd, poolingBackward
    /// A fused elementwise program (`Lowering+Fused.swift`).
    case fused
    /// One fused elementwise program over several segments (`Lowering+FusedMulti.swift`).
    case fusedMulti
    case matmul, convolution, deconvolution, pooling, convolutionBackwardWeight
    /// Batch normalization through oneDNN: inference (f32), the training step's, its gradient.
    case batchNormInference, batchNormTraining, batchNormBackward
    /// A matmul followed by its epilogue (`Lowering+FusedMatMul.swift`).
    case fusedMatmul
    /// A kernel a plugin supplied for its op (`ExecutionPlan.pluginKernels`).
    case custom
}

/// A plugin's CPU kernel bound to one node: the kernel and the node's bound attributes.
public final class PluginKernelStep: @unchecked Sendable {
    public let kernel: HostKernel
    public let attributes: Attributes

    public init(kernel: @escaping HostKernel, attributes: Attributes) {
        self.kernel = kernel
        self.attributes = attributes
    }
}

/// One kernel call with all of its arguments computed.
public struct PlanStep: Equatable, Sendable {
    public var kernel: KernelKind
    /// The IR op and node it implements.
    public var op: String
    public var node: Int
    /// Buffers read and written.
    public var inputs: [Int]
    public var outputs: [Int]
    /// Integer arguments (shapes, strides, element offsets, op codes).
    public var ints: [Int]
    /// Floating-point arguments (eps, alpha, …).
    public var floats: [Double]
    /// True when the output reuses the bytes of an input that dies here.
    public var inPlace: Bool = false
    /// True when the step reads only state, constants and other state-derived results (see
    /// `Lowering+StateDerived.swift`): the executor runs it only after the state changed.
    public var stateDerived: Bool = false
    /// True when the step's result stays in the layout its oneDNN primitive chose, for the
    /// oneDNN steps that read it (the node's `layout: native`, kept where a step can read it
    /// so: `Lowering+Layouts.swift`).
    public var keepsNativeLayout: Bool = false
    /// For a step that keeps its native layout: its plain buffer is written too (another
    /// step, an output or a view reads it).
    public var writesPlainCopy: Bool = false
}

/// A named tensor the caller passes in or reads back.
public struct PlanPort: Equatable, Sendable {
    public var name: String
    public var buffer: Int
}

/// A persistent tensor: a parameter or other state, kept across runs.
public struct StateSlot: Equatable, Sendable {
    public var name: String
    public var buffer: Int
    public var trainable: Bool
    /// The initializer attribute of the `param` node, for information.
    public var initializer: String
}

/// A state write-back: after a run, `source` is copied into state slot `slot`.
public struct StateUpdate: Equatable, Sendable {
    public var slot: Int
    public var source: Int
}

/// The lowered program. Build it with `ExecutionPlan.build(_:bindings:registry:training:)`.
public struct ExecutionPlan: Sendable {
    /// The model's name.
    public var name: String
    /// Values of the symbolic dimensions (`["N": 64]`).
    public var bindings: [String: Int]
    /// Whether random ops and dropout sample and batch norm uses batch statistics.
    public var training: Bool
    public var buffers: [PlanBuffer]
    public var inputs: [PlanPort]
    public var outputs: [PlanPort]
    public var losses: [PlanPort]
    public var state: [StateSlot]
    public var updates: [StateUpdate]
    /// Scalar values splatted into constant buffers at load time: (buffer, value).
    public var constants: [(buffer: Int, value: Double)]
    public var steps: [PlanStep]
    /// Bytes of each region (the arena is the planned size).
    public var regionBytes: [BufferRegion: Int]
    /// The sum of the sizes of every arena buffer, as if none shared memory.
    public var naiveBytes: Int
    /// The plugin kernels of `custom` steps, by node index (not written to plan files: a
    /// loaded plan is lowered again with the registry, which supplies them).
    public var pluginKernels: [Int: PluginKernelStep] = [:]

    /// Bytes of the arena.
    public var arenaBytes: Int { regionBytes[.arena] ?? 0 }

    /// The steps that run only after the state changed (`PlanStep.stateDerived`).
    public var stateDerivedStepCount: Int { steps.lazy.filter(\.stateDerived).count }
    /// The steps a run executes once the state-derived results are current.
    public var stepsPerRun: Int { steps.count - stateDerivedStepCount }

    /// The state slot of a parameter name.
    public func stateIndex(named name: String) -> Int? { state.firstIndex { $0.name == name } }
}

/// Alignment of every planned buffer and region (a cache line, enough for AVX-512 loads).
let planAlignment = 64

func alignUp(_ n: Int, _ a: Int = planAlignment) -> Int { (n + a - 1) / a * a }
