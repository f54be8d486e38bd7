// .dlp files: an execution plan with the graph it was lowered from and the weights, in the
// versioned binary format of docs/plan-format.md. Reading rebuilds the plan from the graph and
// checks it against the recorded summary (step kernels, arena size), so a file written by
// a different lowering is refused instead of silently running something else.
import DLCCore
import Foundation

/// What a .dlp file holds once read.
public struct LoadedPlan {
    public var graph: Graph
    public var plan: ExecutionPlan
    /// Parameter values by name.
    public var weights: [String: HostTensor]

    /// An executor for the plan with the weights loaded.
    public func makeExecutor() throws -> Executor {
        let ex = try Executor(plan: plan)
        try ex.setState(weights)
        return ex
    }
}

/// Writing and reading .dlp files.
public enum PlanFile {
    /// The first 8 bytes of every file.
    public static let magic: [UInt8] = Array("DLCPLAN\u{0}".utf8)
    /// The format version this build writes and reads.
    public static let version: UInt32 = 2

    /// The bytes of a .dlp file.
    /// - Parameter weights: a value for every state slot of the plan (missing ones are written as zeros).
    public static func encode(_ plan: ExecutionPlan, graph: Graph, weights: [String: HostTensor]) throws -> [UInt8] {
        var p = BinaryWriter()
        GraphCodec.encode(graph, &p)
        p.int(plan.bindings.count)
        for (k, v) in plan.bindings.sorted(by: { $0.key < $1.key }) { p.string(k); p.int(v) }
        p.bool(plan.training)
        p.int(plan.steps.count)
        for s in plan.steps { p.string(s.kernel.rawValue); p.bool(s.stateDerived) }
        p.int(plan.arenaBytes)
        p.int(plan.state.count)
        for slot in plan.state {
            let b = plan.buffers[slot.buffer]
            let t = weights[slot.name] ?? HostTensor.zeros(b.dtype, shape: b.shape)
            guard t.dtype == b.dtype, t.shape == b.shape else {
                throw DLCError("cannot write the plan of '\(plan.name)': weight '\(slot.name)' is \(t.dtype)\(t.shape), the parameter \(b.dtype)\(b.shape)")
            }
            p.string(slot.name)
            GraphCodec.type(t.type, &p)
            var bytes = [UInt8](repeating: 0, count: b.bytes)
            bytes.withUnsafeMutableBytes { t.write(to: $0.baseAddress!) }
            p.raw(bytes)
        }
        var w = BinaryWriter()
        w.bytes = magic
        w.u32(version)
        w.u64(UInt64(p.bytes.count))
        w.u64(fnv1a(p.bytes[...]))
        return w.bytes + p.bytes
    }

    /// Writes a .dlp file.
    public static func write(_ plan: ExecutionPlan, graph: Graph, weights: [String: HostTensor], to url: URL) throws {
        try Data(try encode(plan, graph: graph, weights: weights)).write(to: url)
    }

    /// Reads a .dlp file.
    /// - Throws: `DLCError` naming the file and the problem: not a plan file, another version,
    ///   truncated, corrupt, or a plan this build lowers differently.
    public static func read(from url: URL, registry: Registry) throws -> LoadedPlan {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DLCError("cannot read the plan file \(url.path): \(error.localizedDescription)")
        }
        return try decode([UInt8](data), registry: registry, source: url.lastPathComponent)
    }

    /// Decodes the bytes of a .dlp file (see `read(from:registry:)`).
    public static func decode(_ bytes: [UInt8], registry: Registry, source: String = "plan file") throws -> LoadedPlan {
        var h = BinaryReader(bytes, context: source)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw DLCError("\(source): not a dlc plan file (it does not start with the magic bytes 'DLCPLAN')")
        }
        _ = try h.take(magic.count, "the magic bytes")
        let v = try h.u32("the format version")
        guard v == version else {
            throw DLCError("\(source): plan format version \(v) is not supported; this dlc reads version \(version) (recompile the model with this dlc)")
        }
        let length = try h.u64("the payload length"), sum = try h.u64("the checksum")
        guard length == UInt64(h.remaining) else {
            throw DLCError(length > UInt64(h.remaining)
                ? "\(source): the file is truncated: the payload should be \(length) bytes, found \(h.remaining)"
                : "\(source): corrupt file: \(UInt64(h.remaining) - length) bytes after the end of the payload")
        }
        guard fnv1a(bytes[h.position...]) == sum else { throw DLCError("\(source): corrupt file: the checksum does not match the contents") }
        var r = BinaryReader(bytes, position: h.position, context: source)
        let graph = try GraphCodec.decode(&r)
        var bindings: [String: Int] = [:]
        for _ in 0..<(try r.count("the binding count", limit: r.remaining)) { bindings[try r.string("a symbol")] = try r.int("a binding") }
        let training = try r.bool("the training flag")
        let steps = try (0..<r.count("the step count", limit: r.remaining)).map { _ in
            (kernel: try r.string("a kernel name"), stateDerived: try r.bool("a step's state-derived flag"))
        }
        let kernels = steps.map(\.kernel)
        let arena = try r.int("the arena size")
        let plan: ExecutionPlan
        do { plan = try ExecutionPlan.build(graph, bindings: bindings, registry: registry, training: training) } catch {
            throw DLCError("\(source): the stored graph does not lower: \(error)")
        }
        guard plan.steps.map(\.kernel.rawValue) == kernels, plan.steps.map(\.stateDerived) == steps.map(\.stateDerived),
              plan.arenaBytes == arena else {
            throw DLCError("\(source): the plan was written by a different lowering (\(kernels.count) steps, arena \(arena) bytes; this dlc makes \(plan.steps.count) steps, arena \(plan.arenaBytes) bytes); recompile the model")
        }
        var weights: [String: HostTensor] = [:]
        let count = try r.count("the weight count", limit: r.remaining)
        guard count == plan.state.count else { throw r.fail("corrupt file: \(count) weights for \(plan.state.count) parameters") }
        for _ in 0..<count {
            let name = try r.string("a weight name")
            let t = try GraphCodec.type(&r)
            guard let slot = plan.stateIndex(named: name), plan.buffers[plan.state[slot].buffer].type == t else {
                throw r.fail("the weight '\(name)' (\(t)) matches no parameter of '\(plan.name)'")
            }
            let b = plan.buffers[plan.state[slot].buffer]
            let raw = try r.raw("the weight '\(name)'")
            guard raw.count == b.bytes else { throw r.fail("corrupt file: weight '\(name)' has \(raw.count) bytes, expected \(b.bytes)") }
            weights[name] = raw.withUnsafeBytes { HostTensor.read(b.dtype, shape: b.shape, from: $0.baseAddress!) }
        }
        guard r.remaining == 0 else { throw r.fail("corrupt file: \(r.remaining) unread bytes at the end") }
        return LoadedPlan(graph: graph, plan: plan, weights: weights)
    }
}

extension PlanBuffer {
    var type: TensorType { TensorType(dtype, known: shape) }
}
