// Operands of oneDNN steps that stay in oneDNN's layouts between steps, and weights
// converted once per state change.
//
// A convolution's or pooling's result that a later oneDNN step can read in the primitive's
// layout — a step that `keepsNativeLayout`, marked by the assign-layouts pass — is written, in
// the layout its primitive chose, to memory of its own (a "shadow", allocated once with the
// executor), and the oneDNN steps that read it are bound to it in that layout, so a stack of
// convolutions and poolings reorders only where the layout oneDNN wants changes
// (`ExecutionPlan.layoutChainBuffers`); a step that wants it in another layout converts it into
// a shadow of that layout, which later steps wanting the same share. Kernels of our own read
// it in place where they can (KernelLayouts.swift). Its plain plan buffer is written by a
// reorder after the step when an output, a view or a step that never reads kept layouts reads
// it (`writesPlainCopy`), else before the first of our kernels that cannot read its layout.
// In an inference plan (no state updates) a weight the primitive wants in another layout is
// reordered into a shadow of its own when the state changes, not on every run.
import CDNNL
import DLCCore

/// Where the executor binds an operand of a oneDNN step.
struct DNNLOperand {
    /// The plan buffer's bytes (plain layout), or the shadow a previous step left the value in.
    var pointer: UnsafeMutableRawPointer
    /// For an input a previous step left in a oneDNN layout: that layout (nil: plain).
    var layout: dnnl_memory_desc_t?
    /// For a result: keep it in the primitive's layout, in a shadow, for the oneDNN steps that read it.
    var keep = false
    /// For a kept result: also write it to `pointer` in the plain layout.
    var plainCopy = false
    /// For a kept result: kernels of our own read it too (KernelLayouts.swift), so a layout
    /// without padded channels suits them better.
    var readByOwnKernels = false
    /// For an input that changes only with the state (an inference plan's weights): convert it once per state change.
    var stateOnly = false
    /// For a kept input: more than one oneDNN step reads it, so a conversion to another layout
    /// is kept for the others (else it goes to the shared temporary area, like plain operands').
    var sharedByOneDNNSteps = false
    /// The plan buffer whose value this is: shadows made for it (a kept result, a shared
    /// conversion) come from the shadow pool and go back when its last reader is bound.
    var owner: Int?
    /// For a result to keep: whether it may be kept at `pointer`, its own arena memory, in a
    /// layout (`Executor.mayKeepInPlace`).
    var keepInPlace: (dnnl_memory_desc_t) -> Bool = { _ in false }

    init(_ pointer: UnsafeMutableRawPointer, layout: dnnl_memory_desc_t? = nil, keep: Bool = false, plainCopy: Bool = false,
         stateOnly: Bool = false) {
        self.pointer = pointer
        self.layout = layout
        self.keep = keep
        self.plainCopy = plainCopy
        self.stateOnly = stateOnly
    }
}

/// A result kept in a oneDNN layout: the layout and the shadow holding it.
struct KeptLayout {
    var desc: dnnl_memory_desc_t
    var pointer: UnsafeMutableRawPointer
}

extension DNNLContext {
    /// Memory for a value in layout `md`: for a value of the plan (`owner`, a buffer index) in a
    /// layout without padding, a block of the shadow pool, released with `releaseShadows(of:)`;
    /// otherwise zeroed memory that lives as long as the context (padded layouts, converted weights).
    func shadow(_ md: dnnl_memory_desc_t, owner: Int? = nil) -> UnsafeMutableRawPointer {
        var md = md
        let bytes = max(Int(dnnl_memory_desc_get_size(&md)), 1)
        if let owner, dlc_dnnl_is_padded(&md) == 0 {
            let (p, block) = shadowPool.allocate(bytes)
            ownedShadows[owner, default: []].append((p, block))
            return p
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        // Zeroed: a blocked layout's padding must hold zeros for the kernels that read it.
        p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        shadows.append(p)
        return p
    }

    /// Returns the pooled shadows of value `owner` (its last reader is bound) to the pool.
    /// Its conversions are forgotten too: their memory, and the value's, may now hold another value.
    func releaseShadows(of owner: Int) {
        conversions.removeAll { $0.owner == owner }
        for (_, block) in ownedShadows.removeValue(forKey: owner) ?? [] { shadowPool.release(block) }
    }

    /// The pooled shadow at `pointer` now holds value `to` (a result written over dying `from`).
    func transferShadow(at pointer: UnsafeMutableRawPointer, from: Int, to: Int) {
        guard let i = ownedShadows[from]?.firstIndex(where: { $0.pointer == pointer }) else { return }
        ownedShadows[to, default: []].append(ownedShadows[from]!.remove(at: i))
    }

    /// A reorder between two memory objects.
    func reorder(from: (dnnl_memory_desc_t, dnnl_memory_t?), to: (dnnl_memory_desc_t, dnnl_memory_t?)) throws -> DNNLExec {
        var (src, dst) = (from.0, to.0)
        var rpd: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&rpd, &src, engine, &dst, engine, nil), "creating a reorder")
        defer { dnnl_primitive_desc_destroy(rpd) }
        var r: dnnl_primitive_t?
        try check(dnnl_primitive_create(&r, rpd), "creating a reorder")
        primitives.append(r)
        return DNNLExec(primitive: r, args: [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from.1),
                                             dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to.1)])
    }

    /// Binds operand `arg` of `call` (primitive `pd`, its layout found with `query`) to `operand`,
    /// whose plain layout is `plain`: directly when the layouts agree; a result to be kept goes
    /// to a shadow in the primitive's layout (`call.kept`); a state-only input is converted into a
    /// shadow once per state change (`call.stateReorders`); otherwise through a temporary in the
    /// primitive's layout and a reorder before (inputs) or after (results) the primitive.
    func attach(_ call: inout DNNLCall, _ arg: Int32, pd: dnnl_primitive_desc_t?, query: dnnl_query_t, plain: dnnl_memory_desc_t,
                _ operand: DNNLOperand, output: Bool) throws {
        var given = operand.layout ?? plain
        var chosen = dnnl_primitive_desc_query_md(pd, query, 0)!.pointee
        if output && operand.keep {
            // Chosen plain: the plan buffer is the kept result. Else a shadow, and the plain
            // copy reordered from it after the primitive when other readers need it.
            let plain = dnnl_memory_desc_equal(&given, &chosen) != 0
            let p = plain || operand.keepInPlace(chosen) ? operand.pointer : shadow(chosen, owner: operand.owner)
            let kept = try memory(chosen, p)
            call.args.append(dnnl_exec_arg_t(arg: arg, memory: kept))
            call.kept = KeptLayout(desc: chosen, pointer: p)
            if operand.plainCopy && !plain {
                call.after.append(try reorder(from: (chosen, kept), to: (given, try memory(given, operand.pointer))))
            }
            return
        }
        if dnnl_memory_desc_equal(&given, &chosen) != 0 {
            call.args.append(dnnl_exec_arg_t(arg: arg, memory: try memory(given, operand.pointer)))
            return
        }
        let user = try memory(given, operand.pointer)
        if !output && operand.stateOnly {
            let converted = try memory(chosen, shadow(chosen))
            call.stateReorders.append(try reorder(from: (given, user), to: (chosen, converted)))
            call.args.append(dnnl_exec_arg_t(arg: arg, memory: converted))
            return
        }
        if !output, operand.layout != nil, operand.sharedByOneDNNSteps {
            // A kept value another layout is wanted for: converted into memory of its own, once
            // per run, and shared by the later steps that want it in that layout too.
            for c in conversions where c.source == operand.pointer {
                var d = c.desc
                if dnnl_memory_desc_equal(&chosen, &d) != 0 {
                    call.args.append(dnnl_exec_arg_t(arg: arg, memory: c.memory))
                    return
                }
            }
            let converted = try memory(chosen, shadow(chosen, owner: operand.owner))
            call.before.append(try reorder(from: (given, user), to: (chosen, converted)))
            conversions.append((operand.pointer, chosen, converted, operand.owner))
            call.args.append(dnnl_exec_arg_t(arg: arg, memory: converted))
            return
        }
        let temp = try memory(chosen, nil)
        let offset = alignUp(call.tempBytes)
        call.temps.append((temp, offset))
        call.tempBytes = offset + Int(dnnl_memory_desc_get_size(&chosen))
        if output {
            call.after.append(try reorder(from: (chosen, temp), to: (given, user)))
        } else {
            call.before.append(try reorder(from: (given, user), to: (chosen, temp)))
        }
        call.args.append(dnnl_exec_arg_t(arg: arg, memory: temp))
    }
}
