// What the `plan` stage draws, in terms DLCRender owns: the back end's execution plan reduced to
// its steps in order, its buffers with their places, and its ports. The driver fills it from
// a `DLCCPU.ExecutionPlan`, so DLCRender does not depend on the back end.
import DLCCore

/// An execution plan as the `plan` diagram sees it.
public struct PlanSketch: Sendable {
    /// One kernel call, in execution order.
    public struct Step: Sendable {
        /// The back end's kernel (`convolution`, `fused`, `binary`…).
        public var kernel: String
        /// The IR op it implements.
        public var op: String
        public var family: OpFamily
        /// The IR node's scope, for the step's label (`c1`, `x.0.a`).
        public var scope: String
        /// Buffers read and written (indices into `buffers`).
        public var inputs: [Int]
        public var outputs: [Int]
        /// The step writes its result over one of its operands.
        public var inPlace: Bool
        /// The step runs only when the weights change (a folded batch norm's weights).
        public var oncePerState: Bool
        /// A further line (the ops of a fused kernel).
        public var detail: String?

        public init(kernel: String, op: String, family: OpFamily, scope: String, inputs: [Int], outputs: [Int],
                    inPlace: Bool, oncePerState: Bool = false, detail: String? = nil) {
            self.detail = detail
            self.oncePerState = oncePerState
            self.kernel = kernel
            self.op = op
            self.family = family
            self.scope = scope
            self.inputs = inputs
            self.outputs = outputs
            self.inPlace = inPlace
        }
    }

    /// Where a buffer lives.
    public enum Region: String, Sendable {
        case arena, input, state, constant
    }

    /// One tensor at a fixed place.
    public struct Buffer: Sendable {
        public var name: String
        /// `f32[1, 6, 28, 28]`
        public var type: String
        public var region: Region
        /// Byte offset inside its region.
        public var offset: Int
        public var bytes: Int
        /// The buffer this one is a view of (same bytes).
        public var viewOf: Int?
        /// A constant's value, when it is a scalar fill.
        public var constant: Double?

        public init(name: String, type: String, region: Region, offset: Int, bytes: Int, viewOf: Int? = nil, constant: Double? = nil) {
            self.name = name
            self.type = type
            self.region = region
            self.offset = offset
            self.bytes = bytes
            self.viewOf = viewOf
            self.constant = constant
        }
    }

    /// A named buffer at the plan's edge.
    public struct Port: Sendable {
        public var name: String
        public var buffer: Int
        public init(name: String, buffer: Int) {
            self.name = name
            self.buffer = buffer
        }
    }

    public var name: String
    /// `N=1` and the like.
    public var bindings: [String: Int]
    public var training: Bool
    public var steps: [Step]
    public var buffers: [Buffer]
    public var inputs: [Port]
    public var outputs: [Port]
    public var losses: [Port]
    /// State written at the end of the step: the slot's name and the buffer written into it.
    public var updates: [Port]
    public var arenaBytes: Int
    /// The sum of all intermediates' sizes, without reuse.
    public var naiveBytes: Int

    public init(name: String, bindings: [String: Int], training: Bool, steps: [Step], buffers: [Buffer],
                inputs: [Port], outputs: [Port], losses: [Port], updates: [Port], arenaBytes: Int, naiveBytes: Int) {
        self.name = name
        self.bindings = bindings
        self.training = training
        self.steps = steps
        self.buffers = buffers
        self.inputs = inputs
        self.outputs = outputs
        self.losses = losses
        self.updates = updates
        self.arenaBytes = arenaBytes
        self.naiveBytes = naiveBytes
    }
}
