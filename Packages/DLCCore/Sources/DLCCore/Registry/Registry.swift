/// The version of the plugin ABI. A run-time plugin reports the version it was built
/// against; the host refuses any other (see `docs/plugins.md`, "The ABI contract").
/// Emitted into each client, so that a plugin reports the version of the headers it was
/// compiled with, not that of the library it happens to be loaded with.
@_alwaysEmitIntoClient
public var dlcPluginABIVersion: Int32 { 1 }

/// A plugin: a name and a function that registers its ops, layers and passes.
/// The built-in ops and layers are a plugin too, registered the same way.
public struct Plugin {
    public let name: String
    public let summary: String
    /// Whether its layers are visible without `use NAME` (only the built-in set).
    public let implicit: Bool
    public let register: (Registry) throws -> Void

    public init(name: String, summary: String, implicit: Bool = false, register: @escaping (Registry) throws -> Void) {
        self.name = name
        self.summary = summary
        self.implicit = implicit
        self.register = register
    }
}

/// What a registry knows of one installed plugin.
public struct PluginInfo {
    public let name: String
    public let summary: String
    public let implicit: Bool
    /// The shared library it was loaded from; nil for plugins linked into the host.
    public internal(set) var path: String?
    public internal(set) var ops: [String] = []
    public internal(set) var layers: [String] = []
    public internal(set) var passes: [String] = []
}

/// Ops, layers and passes by name. One registry serves a whole compilation; plugins add to it.
public final class Registry: @unchecked Sendable {
    /// The process-wide registry that `dlc` and run-time plugins share.
    public static let shared = Registry()

    public private(set) var ops: [String: OpSpec] = [:]
    public private(set) var layers: [String: LayerSpec] = [:]
    public private(set) var passes: [String: PassSpec] = [:]
    public private(set) var plugins: [PluginInfo] = []
    /// Kernels supplied by plugins for their own ops, by back end and op name.
    public private(set) var kernels: [KernelBackend: [String: HostKernel]] = [:]
    private var current: Int?

    public init() {}

    /// Installs a plugin: runs its registration and records what it added. All or nothing:
    /// if the registration throws, the registry is left as it was.
    /// - Parameter path: the shared library the plugin came from (shown by `dlc plugins`).
    /// - Throws: `DLCError` if the plugin is already installed or registers a taken name.
    public func install(_ plugin: Plugin, from path: String? = nil) throws {
        if let old = plugins.first(where: { $0.name == plugin.name }) {
            throw DLCError("plugin '\(plugin.name)' is already loaded" + (old.path.map { " (from \($0))" } ?? ""))
        }
        let saved = (ops, layers, passes, plugins, kernels)
        plugins.append(PluginInfo(name: plugin.name, summary: plugin.summary, implicit: plugin.implicit, path: path))
        current = plugins.count - 1
        defer { current = nil }
        do {
            try plugin.register(self)
        } catch {
            (ops, layers, passes, plugins, kernels) = saved
            throw error
        }
    }

    /// Installs a plugin unless one of that name is already there.
    public func installIfNeeded(_ plugin: Plugin) throws {
        if !isInstalled(plugin.name) { try install(plugin) }
    }

    public func isInstalled(_ name: String) -> Bool { plugins.contains { $0.name == name } }

    private func owner() throws -> Int {
        guard let current else { throw DLCError("ops, layers and passes must be registered from a plugin's register function") }
        return current
    }

    /// Registers an op.
    public func register(_ op: OpSpec) throws {
        let p = try owner()
        if let old = ops[op.name] { throw DLCError("op '\(op.name)' is already registered by plugin '\(old.plugin)'") }
        var op = op
        op.plugin = plugins[p].name
        ops[op.name] = op
        plugins[p].ops.append(op.name)
    }

    /// Attaches a gradient rule to an op already registered (rules may live apart from the
    /// ops, as a table; a plugin may also supply rules for its own ops this way).
    /// - Throws: `DLCError` for an unknown op or one marked non-differentiable.
    public func setGradient(of op: String, _ rule: @escaping GradientRule) throws {
        guard var spec = ops[op] else { throw DLCError("cannot set the gradient of unknown op '\(op)'") }
        guard spec.differentiable else { throw DLCError("op '\(op)' is marked non-differentiable") }
        spec.gradient = rule
        ops[op] = spec
    }

    /// Supplies a back end's kernel for an op of the calling plugin (see `HostKernel`).
    /// - Throws: `DLCError` for an op that is unknown or registered by another plugin.
    public func setKernel(of op: String, for backend: KernelBackend, _ kernel: @escaping HostKernel) throws {
        let p = try owner()
        guard let spec = ops[op] else { throw DLCError("cannot set the \(backend.rawValue) kernel of unknown op '\(op)'") }
        guard spec.plugin == plugins[p].name else {
            throw DLCError("op '\(op)' belongs to plugin '\(spec.plugin)'; a plugin can only supply kernels for its own ops")
        }
        kernels[backend, default: [:]][op] = kernel
    }

    /// The kernel a plugin supplied for an op on a back end, if any.
    public func kernel(of op: String, for backend: KernelBackend) -> HostKernel? { kernels[backend]?[op] }

    /// Registers a layer.
    public func register(_ layer: LayerSpec) throws {
        let p = try owner()
        if let old = layers[layer.name] { throw DLCError("layer '\(layer.name)' is already registered by plugin '\(old.plugin)'") }
        if let op = ops[layer.name], op.plugin != plugins[p].name {
            throw DLCError("layer '\(layer.name)' would hide the op of the same name from plugin '\(op.plugin)'")
        }
        var layer = layer
        layer.plugin = plugins[p].name
        layers[layer.name] = layer
        plugins[p].layers.append(layer.name)
    }

    /// Registers a pass.
    public func register(_ pass: PassSpec) throws {
        let p = try owner()
        if passes[pass.name] != nil { throw DLCError("pass '\(pass.name)' is already registered") }
        passes[pass.name] = pass
        plugins[p].passes.append(pass.name)
    }

    /// The plugin that provides a layer or op name, whether or not it is in use.
    public func provider(of name: String) -> String? { layers[name]?.plugin ?? ops[name]?.plugin }

    /// Whether a plugin's layers are visible without `use`.
    public func isImplicit(_ plugin: String) -> Bool { plugins.first { $0.name == plugin }?.implicit ?? false }
}
