// The executor: owns one allocation holding the plan's four regions (arena, inputs, state,
// constants, each 64-byte aligned), binds every step to a kernel call over fixed addresses
// once (`KernelBinding.swift`), and then runs the schedule. A run copies the inputs in,
// calls the steps in order, reads outputs and losses out and copies each state update into
// its parameter (unless the lowering placed it there already, Lowering+StateUpdates.swift). Nothing is allocated inside a step.
import CDNNL
import DLCCore
import Foundation

/// Runs an `ExecutionPlan` on the CPU.
public final class Executor {
    /// The plan being run.
    public let plan: ExecutionPlan
    /// Seed of the random ops and dropout; each run draws from (seed, run index, the random
    /// step's ordinal among the random steps).
    public var seed: UInt64 = 0
    /// Completed runs (the position in the random stream; set it to resume a run exactly).
    public var runCount: UInt64 = 0
    /// When set, every run adds each step's wall time to `stepNanoseconds` (`dlc bench --profile`).
    public var profiling = false
    /// Nanoseconds spent in each step (by step index) over the profiled runs.
    public private(set) var stepNanoseconds: [UInt64] = []

    private let memory: UnsafeMutableRawPointer
    private let totalBytes: Int
    private var regionBase: [BufferRegion: Int] = [:]
    private var calls: [() -> Int32] = []
    /// The error of the last plugin kernel that failed, for the step's error message.
    let pluginFailure = PluginKernelFailure()
    /// Kernel arguments copied to stable memory, freed with the executor.
    private var argBlocks: [UnsafeMutablePointer<Int64>] = []
    /// The per-run random key the random steps read.
    private let keyBox = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    var dnnl: DNNLContext?
    private var scratch: UnsafeMutableRawPointer?
    /// Bytes of the shared oneDNN scratchpad.
    public private(set) var scratchBytes = 0
    private var temporaries: UnsafeMutableRawPointer?
    /// Bytes of the shared area of the steps' temporaries (operands in oneDNN's blocked layouts).
    public private(set) var temporaryBytes = 0
    /// Buffers that stay in oneDNN's layouts between steps (OneDNN+Layouts.swift), and where
    /// each is while the steps are bound.
    var layoutChain: Set<Int> = []
    /// The kept buffers whose plain bytes are written too.
    var plainCopies: Set<Int> = []
    var keptLayouts: [Int: KeptLayout] = [:]
    /// Kept buffers whose plain bytes are written in each run (by a plain copy after their step,
    /// or a conversion before their first plain reader).
    var plainReady: Set<Int> = []
    /// The operands each step reads in a kept layout (by step index; steps reading none are absent).
    var keptReads: [Int: Set<Int>] = [:]
    /// Buffers read after the run (outputs, losses, state updates, and what they view): never kept.
    var mustBePlain: Set<Int> = []
    /// Buffers a kernel of our own that may read kept layouts reads (KernelLayouts.swift).
    var ownKernelInputs: Set<Int> = []
    /// How many steps read each buffer in a oneDNN primitive's layout.
    var oneDNNReaders: [Int: Int] = [:]
    /// Values kept in their own arena memory (`mayKeepInPlace`) whose plain bytes some step needed:
    /// where those bytes are (a block of the shadow pool).
    var plainElsewhere: [Int: UnsafeMutableRawPointer] = [:]
    /// Buffers other buffers are views of.
    var viewed: Set<Int> = []
    /// The most memory kept values held at once in the shadow pool (bytes).
    private(set) var shadowBytes = 0
    /// Conversions of state for oneDNN steps, run before a run when the state changed.
    private var stateConversions: [DNNLExec] = []
    /// Whether the state changed since the last run: then the state-derived steps
    /// (`Executor+StateDerived.swift`) and the conversions run first.
    private var stateChanged = true
    /// The buffers state-derived steps write (their results stay valid while the state does).
    let stateDerivedResults: Set<Int>
    /// Runs that executed the state-derived steps (the plan has some and the state had changed).
    public private(set) var stateDerivedRuns = 0

    /// Allocates the plan's memory and binds its steps. State starts as zeros; set it with
    /// `setState(_:named:)`. Constants are written here.
    /// - Throws: `DLCError` if a oneDNN primitive cannot be created for a step.
    public init(plan: ExecutionPlan) throws {
        self.plan = plan
        stateDerivedResults = Self.stateDerivedResults(of: plan)
        CPUThreads.ensureConfigured()
        var offset = 0
        for r in BufferRegion.allCases {
            regionBase[r] = offset
            offset += alignUp(plan.regionBytes[r] ?? 0)
        }
        totalBytes = max(offset, planAlignment)
        memory = UnsafeMutableRawPointer.allocate(byteCount: totalBytes, alignment: planAlignment)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: totalBytes)
        keyBox.initialize(to: 0)
        for c in plan.constants {
            let b = plan.buffers[c.buffer]
            dlc_fill_buffer(b.dtype, b.count, c.value, pointer(c.buffer))
        }
        try bindSteps()
    }

    deinit {
        memory.deallocate()
        scratch?.deallocate()
        temporaries?.deallocate()
        for a in argBlocks { a.deallocate() }
        keyBox.deallocate()
    }

    /// The address of a buffer's plain bytes: its place in the memory plan, or, for a value kept
    /// in a oneDNN layout in that place, where its plain bytes were converted (`plainElsewhere`).
    func pointer(_ buffer: Int) -> UnsafeMutableRawPointer {
        if let p = plainElsewhere[buffer] { return p }
        return arenaPointer(buffer)
    }

    /// The address the memory plan gave a buffer.
    func arenaPointer(_ buffer: Int) -> UnsafeMutableRawPointer {
        let b = plan.buffers[buffer]
        return memory + regionBase[b.region]! + b.offset
    }

    /// Copies `ints` to memory that lives as long as the executor.
    func stable(_ ints: ArraySlice<Int>) -> UnsafeMutablePointer<Int64> {
        let p = UnsafeMutablePointer<Int64>.allocate(capacity: max(ints.count, 1))
        for (i, v) in ints.enumerated() { p[i] = Int64(v) }
        argBlocks.append(p)
        return p
    }

    var randomKey: UnsafeMutablePointer<UInt64> { keyBox }

    func context() throws -> DNNLContext {
        if let dnnl { return dnnl }
        let c = try DNNLContext(blockedLayouts: ProcessInfo.processInfo.environment["DLC_CPU_PLAIN_LAYOUTS"] != "1",
                                blockedActivations: plan.steps.contains { $0.kernel == .batchNormTraining })
        dnnl = c
        return c
    }

    private func bindSteps() throws {
        var dnnlCalls: [(Int, DNNLCall)] = []
        var randomSteps = 0
        if ProcessInfo.processInfo.environment["DLC_CPU_PLAIN_LAYOUTS"] != "1" {
            layoutChain = plan.layoutChainBuffers()
            plainCopies = plan.plainCopies()
            plainReady = plainCopies
            viewed = Set(plan.buffers.compactMap(\.viewOf))
            let read = (plan.outputs + plan.losses).map(\.buffer) + plan.updates.map(\.source)
            mustBePlain = Set(read + read.map(viewRoot))
            let own: Set<KernelKind> = [.poolingBackward, .batchNormTraining, .batchNormBackward, .fused, .reduce]
            ownKernelInputs = Set(plan.steps.filter { own.contains($0.kernel) }.flatMap(\.inputs))
            for s in plan.steps where !own.contains(s.kernel) {
                for (k, b) in s.inputs.enumerated() where s.readsNative(operand: k) { oneDNNReaders[b, default: 0] += 1 }
            }
        }
        // Small oneDNN steps are created and run on one thread (StepThreads.swift).
        let threads = omp_get_max_threads()
        let oneThread = Set(plan.steps.indices.filter { i in
            threads > 1 && plan.steps[i].oneDNNWork().map { $0 < singleThreadWork } == true
        })
        defer {
            for i in oneThread {
                let call = calls[i]
                calls[i] = { withOneThread(restoring: threads, call) }
            }
        }
        // The step after whose binding each value is dead: its kept memory goes back to the pool
        // (ShadowPool.swift). Not the state-derived steps' results: those steps run first, out
        // of order, and their results live across runs.
        var lastUse = [Int](repeating: -1, count: plan.buffers.count)
        for (i, s) in plan.steps.enumerated() {
            for b in s.inputs + s.outputs { (lastUse[b], lastUse[viewRoot(b)]) = (i, i) }
        }
        var dying = [[Int]](repeating: [], count: plan.steps.count)
        for (b, i) in lastUse.enumerated() where i >= 0 && !stateDerivedResults.contains(b) { dying[i].append(b) }
        defer { shadowBytes = dnnl?.shadowPool.peakBytesInUse ?? 0 }
        for (i, step) in plan.steps.enumerated() {
            defer { for b in dying[i] { dnnl?.releaseShadows(of: b) } }
            // Kept values this step reads in the plain layout get their plain bytes first.
            let kept = keptOperands(step)
            if !kept.isEmpty { keptReads[i] = kept }
            let conversions = try layoutConversions(step, kept: kept) + plainConversions(step, kept: kept)
            let bound = oneThread.contains(i) ? try withOneThread(restoring: threads) { try bindOneDNN(step) } : try bindOneDNN(step)
            if var call = bound {
                if let k = call.kept { keptLayouts[step.outputs[0]] = k }
                call.before = conversions + call.before
                stateConversions += call.stateReorders
                dnnlCalls.append((i, call))
                calls.append({ 0 })
            } else {
                let call = try bind(step, index: i, randomOrdinal: randomSteps)
                if step.kernel == .random { randomSteps += 1 }
                if conversions.isEmpty {
                    calls.append(call)
                } else {
                    let stream = try context().stream
                    calls.append { DNNLExec.run(conversions, on: stream) ? call() : -2 }
                }
            }
        }
        guard let ctx = dnnl else { return }
        scratchBytes = dnnlCalls.map(\.1.scratchBytes).max() ?? 0
        if scratchBytes > 0 { scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: planAlignment) }
        temporaryBytes = dnnlCalls.map(\.1.tempBytes).max() ?? 0
        if temporaryBytes > 0 { temporaries = UnsafeMutableRawPointer.allocate(byteCount: temporaryBytes, alignment: planAlignment) }
        for (i, var call) in dnnlCalls {
            if call.scratchBytes > 0 {
                call.args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: try ctx.memory(call.scratchDesc, scratch)))
            }
            for t in call.temps {
                try ctx.check(dnnl_memory_set_data_handle(t.memory, temporaries! + t.offset), "placing a temporary")
            }
            let execs = call.before + [DNNLExec(primitive: call.primitive, args: call.args)] + call.after, stream = ctx.stream
            if execs.count == 1 {
                let args = call.args, prim = call.primitive
                calls[i] = { dnnl_primitive_execute(prim, stream, Int32(args.count), args).rawValue == dnnl_success.rawValue ? 0 : -2 }
            } else {
                calls[i] = { DNNLExec.run(execs, on: stream) ? 0 : -2 }
            }
        }
    }

    /// Runs the plan once.
    /// - Parameter inputs: a tensor for every input of the plan, by name, of exactly its type.
    /// - Returns: the outputs and losses by name.
    /// - Throws: `DLCError` for a missing, unknown or mistyped input, or a step that fails
    ///   (e.g. a class label out of range).
    public func run(inputs: [String: HostTensor]) throws -> [String: HostTensor] {
        try validate(inputs)
        for port in plan.inputs { inputs[port.name]!.write(to: pointer(port.buffer)) }
        keyBox.pointee = seed &* 0x9E37_79B9_7F4A_7C15 &+ runCount &* 0xD1B5_4A32_D192_ED03
        if stateChanged {
            // State-derived steps read only state and each other, so they may all run first.
            if !stateDerivedResults.isEmpty {
                for (i, call) in calls.enumerated() where plan.steps[i].stateDerived {
                    let status = call()
                    if status != 0 { throw stepFailure(i, status) }
                }
                stateDerivedRuns += 1
            }
            if let stream = dnnl?.stream, !DNNLExec.run(stateConversions, on: stream) {
                throw DLCError("oneDNN failed to convert a parameter of '\(plan.name)' to its kernel's layout")
            }
        }
        stateChanged = !plan.updates.isEmpty
        if profiling {
            try runProfiled()
        } else {
            for (i, call) in calls.enumerated() where !plan.steps[i].stateDerived {
                let status = call()
                if status != 0 { throw stepFailure(i, status) }
            }
        }
        if let s = dnnl?.stream { dnnl_stream_wait(s) }
        var result: [String: HostTensor] = [:]
        for port in plan.outputs + plan.losses {
            let b = plan.buffers[port.buffer]
            result[port.name] = HostTensor.read(b.dtype, shape: b.shape, from: pointer(port.buffer))
        }
        for u in plan.updates {
            let dst = plan.state[u.slot].buffer
            // An update computed in place (a view of its state) is there already.
            if plan.buffers[u.source].viewOf != dst {
                pointer(dst).copyMemory(from: pointer(u.source), byteCount: plan.buffers[dst].bytes)
            }
        }
        runCount += 1
        return result
    }

    /// Runs the steps, timing each (oneDNN's CPU stream runs a primitive before returning).
    private func runProfiled() throws {
        if stepNanoseconds.count != calls.count { stepNanoseconds = Array(repeating: 0, count: calls.count) }
        for (i, call) in calls.enumerated() where !plan.steps[i].stateDerived {
            let start = DispatchTime.now().uptimeNanoseconds
            let status = call()
            stepNanoseconds[i] += DispatchTime.now().uptimeNanoseconds - start
            if status != 0 { throw stepFailure(i, status) }
        }
    }

    private func validate(_ inputs: [String: HostTensor]) throws {
        let names = plan.inputs.map(\.name)
        for port in plan.inputs {
            let b = plan.buffers[port.buffer]
            guard let t = inputs[port.name] else {
                throw DLCError("missing input '\(port.name)' of '\(plan.name)': expected \(b.dtype)\(b.shape) (the inputs are \(names.joined(separator: ", ")))")
            }
            guard t.dtype == b.dtype, t.shape == b.shape else {
                throw DLCError("input '\(port.name)' of '\(plan.name)' has the wrong type: expected \(b.dtype)\(b.shape), found \(t.dtype)\(t.shape)")
            }
        }
        for name in inputs.keys.sorted() where !names.contains(name) {
            throw DLCError("unknown input '\(name)' for '\(plan.name)' (the inputs are \(names.joined(separator: ", ")))")
        }
    }

    private func stepFailure(_ i: Int, _ status: Int32) -> DLCError {
        let s = plan.steps[i]
        let why: String
        switch (s.kernel, status) {
        case (.crossEntropy, _): why = "a class label is out of range 0..<\(s.ints[3])"
        case (.gather, _), (.scatterAdd, _): why = "an index is out of range for an axis of size \(s.ints[2])"
        case (.poolingBackward, _): why = "a pooling window lies entirely in the padding"
        case (.custom, -3): why = "the plugin's kernel failed: \(pluginFailure.message ?? "no reason given")"
        case (_, -2): why = "oneDNN failed to execute the primitive"
        default: why = "the kernel does not support this case"
        }
        return DLCError("step \(i) ('\(s.op)', \(s.kernel.rawValue)) of '\(plan.name)' failed: \(why)")
    }

    /// The current value of a state tensor (a parameter) by name.
    /// - Throws: `DLCError` for an unknown name.
    public func state(named name: String) throws -> HostTensor {
        let slot = try stateSlot(name)
        let b = plan.buffers[slot.buffer]
        return HostTensor.read(b.dtype, shape: b.shape, from: pointer(slot.buffer))
    }

    /// Replaces a state tensor; it must have the parameter's exact type.
    /// - Throws: `DLCError` for an unknown name or a wrong type.
    public func setState(_ value: HostTensor, named name: String) throws {
        let slot = try stateSlot(name)
        let b = plan.buffers[slot.buffer]
        guard value.dtype == b.dtype, value.shape == b.shape else {
            throw DLCError("state '\(name)' of '\(plan.name)' has type \(b.dtype)\(b.shape), found \(value.dtype)\(value.shape)")
        }
        value.write(to: pointer(slot.buffer))
        stateChanged = true
    }

    /// Sets every state tensor given in `values` (see `setState(_:named:)`).
    public func setState(_ values: [String: HostTensor]) throws {
        for (name, v) in values.sorted(by: { $0.key < $1.key }) { try setState(v, named: name) }
    }

    private func stateSlot(_ name: String) throws -> StateSlot {
        guard let i = plan.stateIndex(named: name) else {
            let known = plan.state.map(\.name)
            throw DLCError("no state named '\(name)' in '\(plan.name)' (state: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        return plan.state[i]
    }
}

/// Where a plugin kernel's error is kept between its step and the error message.
final class PluginKernelFailure: @unchecked Sendable {
    var message: String?
}
