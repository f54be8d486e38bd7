// Kernels supplied by plugins for their own ops, and the hand-over of a run-time plugin's
// `Plugin` values to the host that loads it.

/// The back ends a plugin can supply a kernel for.
public enum KernelBackend: String, Sendable, CaseIterable {
    /// The reference interpreter (DLCReference): exact, slow, used by tests and gradient checks.
    case reference
    /// The CPU back end (DLCCPU): execution plans, `dlc train`, `dlc run`, `dlc bench`.
    case cpu
}

/// One call of a plugin kernel: the node's operands and results as contiguous row-major host
/// buffers of their element types (`f32` is `Float`, `f64` `Double`, `i32` `Int32`, `i64`
/// `Int64`, `bool` one byte), their concrete shapes, and the node's attributes with defaults
/// filled. The buffers are only valid during the call; results must be fully written.
public struct KernelCall {
    public let inputs: [UnsafeRawPointer]
    public let inputShapes: [[Int]]
    public let inputTypes: [DType]
    public let outputs: [UnsafeMutableRawPointer]
    public let outputShapes: [[Int]]
    public let outputTypes: [DType]
    /// The bound attributes, as the shape rule saw them.
    public let attributes: Attributes

    public init(inputs: [UnsafeRawPointer], inputShapes: [[Int]], inputTypes: [DType],
                outputs: [UnsafeMutableRawPointer], outputShapes: [[Int]], outputTypes: [DType], attributes: Attributes) {
        self.inputs = inputs
        self.inputShapes = inputShapes
        self.inputTypes = inputTypes
        self.outputs = outputs
        self.outputShapes = outputShapes
        self.outputTypes = outputTypes
        self.attributes = attributes
    }

    /// Operand `i` as a typed buffer (the caller picks the type matching `inputTypes[i]`).
    public func input<T>(_ i: Int, as _: T.Type) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: inputs[i].assumingMemoryBound(to: T.self), count: inputShapes[i].reduce(1, *))
    }

    /// Result `i` as a typed buffer.
    public func output<T>(_ i: Int, as _: T.Type) -> UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: outputs[i].assumingMemoryBound(to: T.self), count: outputShapes[i].reduce(1, *))
    }

    /// A numeric attribute.
    public func double(_ name: String) throws -> Double {
        guard let v = attributes[name]?.doubleValue else { throw DLCError("the kernel needs a numeric attribute '\(name)'") }
        return v
    }
}

/// A kernel over host buffers. It may throw `DLCError` for a case it does not support
/// (an element type, say); the back end reports it with the op's name.
public typealias HostKernel = (KernelCall) throws -> Void

/// The hand-over between a run-time plugin's entry point and the loader. The entry point
/// `dlc_plugin_register(hostABIVersion) -> Int32` calls `PluginExports.offer`, which checks
/// the version and queues the plugins; the loader then installs the queued plugins into its
/// registry (so one library can be loaded into any registry, e.g. a test's own).
public enum PluginExports {
    nonisolated(unsafe) private static var queue: [Plugin] = []

    /// The body of a plugin's `dlc_plugin_register`: offers `plugins` if the host's ABI
    /// version is the one this plugin was compiled against, and returns the plugin's version.
    /// Emitted into the plugin, so `dlcPluginABIVersion` here is the plugin's compile-time value.
    @_alwaysEmitIntoClient
    public static func offer(_ plugins: [Plugin], hostABIVersion: Int32) -> Int32 {
        offer(plugins, hostABIVersion: hostABIVersion, pluginABIVersion: dlcPluginABIVersion)
    }

    /// `offer` with the plugin's ABI version given explicitly: the plugins are queued only
    /// when it equals the host's version. Returns `pluginABIVersion`.
    public static func offer(_ plugins: [Plugin], hostABIVersion: Int32, pluginABIVersion: Int32) -> Int32 {
        if hostABIVersion == pluginABIVersion { queue.append(contentsOf: plugins) }
        return pluginABIVersion
    }

    /// Takes the queued plugins (the loader calls this after the entry point returns).
    public static func take() -> [Plugin] {
        defer { queue = [] }
        return queue
    }
}
