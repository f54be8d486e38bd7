// oneDNN primitives for the heavy steps. One CPU engine and stream per executor; each
// convolution, deconvolution and pooling step gets its primitive and its memory objects when
// the executor is built, bound to the step's fixed buffer addresses (the arena never moves),
// so a run only executes. Primitives use the user scratchpad mode: the executor allocates one
// scratch buffer of the largest size any primitive asked for, once.
//
// Layouts: plan buffers are always plain (NCHW, OIHW). Convolutions (forward, transposed and
// weight gradient) are described with `format_tag_any`, so oneDNN picks its fastest layout
// (blocked, e.g. nChw16c, for its direct JIT kernels); where it picks something other than the
// plain layout, the step reorders that operand into a temporary before the primitive (inputs)
// or out of one after it (results). Temporaries live only inside their step, so all steps
// share one temporary area, sized for the step that needs most, like the scratchpad.
// Results that later oneDNN steps read stay in oneDNN's layouts (OneDNN+Layouts.swift), so
// between steps that want the same layout no reorder is needed; an inference plan's converted
// weights stay converted too.
// `DLC_CPU_PLAIN_LAYOUTS=1` keeps every primitive on plain layouts (for comparisons).
import CDNNL
import DLCCore

/// The engine and stream of one executor.
final class DNNLContext {
    var engine: dnnl_engine_t?
    var stream: dnnl_stream_t?
    /// Primitives, memory objects and shadows (OneDNN+Layouts.swift) to release.
    var primitives: [dnnl_primitive_t?] = []
    var memories: [dnnl_memory_t?] = []
    var shadows: [UnsafeMutableRawPointer] = []
    /// Kept values' memory, reused once they are dead (ShadowPool.swift), and what each value holds of it.
    let shadowPool = ShadowPool()
    var ownedShadows: [Int: [(pointer: UnsafeMutableRawPointer, block: ShadowPool.Block)]] = [:]
    /// Kept values converted to another layout for a step (OneDNN+Layouts.swift): the kept
    /// memory, the layout, and the converted copy later steps wanting that layout share.
    var conversions: [(source: UnsafeMutableRawPointer, desc: dnnl_memory_desc_t, memory: dnnl_memory_t?, owner: Int?)] = []
    /// Let oneDNN choose convolution layouts (reordering at the step's edges).
    let blockedLayouts: Bool
    /// Every convolution primitive (forward, data and weight gradient) takes its activations in
    /// 16-channel blocks on a side with at least 16 channels. Set for training steps with batch
    /// norm: left to choose, oneDNN 2.6 runs the forward convolutions on NHWC (brgconv) and the
    /// gradients on 16-channel blocks, so no layout lasts from a convolution through batch norm,
    /// ReLU and residual sums to the next; on one layout throughout, only the stack's ends
    /// reorder (ResNet-18's training step at batch 8, one thread: 854–870 ms against 935–957 ms
    /// with oneDNN's choice, both with kept layouts; 913–981 ms without them).
    let blockedActivations: Bool


    init(blockedLayouts: Bool = true, blockedActivations: Bool = false) throws {
        self.blockedLayouts = blockedLayouts
        self.blockedActivations = blockedActivations
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
    }

    deinit {
        for p in primitives { dnnl_primitive_destroy(p) }
        for m in memories { dnnl_memory_destroy(m) }
        for p in shadows { p.deallocate() }
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    func check(_ s: dnnl_status_t, _ what: String) throws {
        guard s == dnnl_success else { throw DLCError("oneDNN failed \(what) (status \(s.rawValue))") }
    }

    /// A plain memory descriptor.
    func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map(Int64.init) + Array(repeating: 0, count: 12 - dims.count)
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), d, dnnl_f32, tag), "describing a tensor \(dims)")
        return md
    }

    /// A memory object over our own bytes.
    func memory(_ md: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer?) throws -> dnnl_memory_t? {
        var md = md
        var m: dnnl_memory_t?
        try check(dnnl_memory_create(&m, &md, engine, pointer ?? dlc_dnnl_memory_none()), "creating a memory object")
        memories.append(m)
        return m
    }

    /// Creates a primitive from an op descriptor with a user-managed scratchpad and the given
    /// post-ops (OneDNN+PostOps.swift); returns it and its scratchpad size in bytes.
    func primitive(_ opDesc: UnsafeRawPointer, what: String, hint: dnnl_primitive_desc_t? = nil,
                   postOps: dnnl_post_ops_t? = nil) throws -> (dnnl_primitive_t?, Int, dnnl_primitive_desc_t?) {
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "creating attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "setting the scratchpad mode")
        if let postOps { try check(dnnl_primitive_attr_set_post_ops(attr, postOps), "setting the post-ops of \(what)") }
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, opDesc.assumingMemoryBound(to: Int8.self), attr, engine, hint), "creating \(what)")
        var p: dnnl_primitive_t?
        try check(dnnl_primitive_create(&p, pd), "creating \(what)")
        primitives.append(p)
        let scratch = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0))
        return (p, Int(scratch), pd)
    }
}

/// One primitive execution: the primitive and its arguments.
struct DNNLExec {
    var primitive: dnnl_primitive_t?
    var args: [dnnl_exec_arg_t]

    /// Executes `execs` in order on `stream`; false as soon as one fails.
    static func run(_ execs: [DNNLExec], on stream: dnnl_stream_t?) -> Bool {
        execs.allSatisfy { dnnl_primitive_execute($0.primitive, stream, Int32($0.args.count), $0.args) == dnnl_success }
    }
}

/// A bound oneDNN primitive with its arguments; the scratchpad memory is attached later, and so
/// are the addresses of its temporaries (operands in oneDNN's chosen layouts).
struct DNNLCall {
    var primitive: dnnl_primitive_t?
    var args: [dnnl_exec_arg_t]
    var scratchBytes: Int
    var scratchDesc: dnnl_memory_desc_t
    /// Reorders into the chosen layouts, run before the primitive, and out of them, after.
    var before: [DNNLExec] = []
    var after: [DNNLExec] = []
    /// Temporaries: memory objects without data, and their offsets in the temporary area.
    var temps: [(memory: dnnl_memory_t?, offset: Int)] = []
    /// Bytes of the temporary area this step needs.
    var tempBytes = 0
    /// The result left in the primitive's layout for the next steps, if it is kept.
    var kept: KeptLayout?
    /// Conversions of state-only operands, run when the state changes.
    var stateReorders: [DNNLExec] = []

    init(primitive: dnnl_primitive_t?, args: [dnnl_exec_arg_t] = [], pd: dnnl_primitive_desc_t?, scratchBytes: Int) {
        self.primitive = primitive
        self.args = args
        self.scratchBytes = scratchBytes
        scratchDesc = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)!.pointee
    }
}

extension DNNLContext {
    /// The layout tag of a convolution operand: oneDNN's choice, or the plain tag.
    func tag(_ plain: dnnl_format_tag_t) -> dnnl_format_tag_t { blockedLayouts ? dnnl_format_tag_any : plain }

    /// The layout of a convolution's activations on a side with `channels` channels: oneDNN's
    /// choice, or 16-channel blocks (nChw16c) for the training step of a model with batch norm
    /// (`blockedActivations`) — see that property.
    func activationTag(_ channels: Int) -> dnnl_format_tag_t {
        blockedActivations && blockedLayouts && channels >= 16 ? dnnl_nChw16c : tag(dnnl_nchw)
    }
}

extension DNNLContext {
    /// Convolution or deconvolution forward (inference) over fixed buffers, with the post-ops of
    /// a fused convolution (none for a plain one).
    /// `x` may come in a layout a previous step left it in (reordered if the primitive wants another).
    func convolution(_ a: [Int], transposed: Bool, x: DNNLOperand, w: DNNLOperand,
                     bias: UnsafeMutableRawPointer?, y: DNNLOperand, postOps ops: [ConvolutionPostOp] = []) throws -> DNNLCall {
        let (n, c, h, wd, oc, kh, kw, oh, ow) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
        let strides = [Int64(a[9]), Int64(a[10])], dil = [Int64(a[11] - 1), Int64(a[12] - 1)]
        let padL = [Int64(a[13]), Int64(a[15])], padR = [Int64(a[14]), Int64(a[16])]
        let g = a[17]
        let src = try desc([n, c, h, wd], dnnl_nchw), dst = try desc([n, oc, oh, ow], dnnl_nchw)
        let wdesc: dnnl_memory_desc_t
        if transposed {
            wdesc = g == 1 ? try desc([oc, c, kh, kw], dnnl_iohw) : try desc([g, oc / g, c / g, kh, kw], dnnl_giohw)
        } else {
            wdesc = g == 1 ? try desc([oc, c, kh, kw], dnnl_oihw) : try desc([g, oc / g, c / g, kh, kw], dnnl_goihw)
        }
        // One input channel (a first layer on grey images): the source described as plain NCHW
        // (the same memory as NHWC) and the result in blocks of 8 channels, oneDNN runs its
        // first-layer kernel instead of brgconv's NHWC one, which is slow for so short a
        // reduction (LeNet-5's conv1 at batch 256: 0.77 against 1.14 ms; in blocks of 16 the
        // pooling after it pays for the padded channels). Measured on the models with such a
        // layer: LeNet-5 inference at batch 256 2.30 → 1.97 ms, the rest unchanged.
        // Kept for kernels of our own too (a training step's pooling and ReLU gradients, bias
        // gradient): NHWC, which they read in place without padded channels, and which the weight
        // gradient and the next convolution take as it is (LeNet-5's training step at batch 64 on
        // two threads, alternating the builds: 2.05–2.26 ms against 2.07–2.42 ms with the blocks
        // of 8 and their reorders; in blocks of 8 our kernels pay for the padded channels).
        let forOwnKernels = c == 1 && !transposed && blockedLayouts && y.keep && y.readByOwnKernels
        let firstLayer = c == 1 && !transposed && blockedLayouts && !forOwnKernels
        // A transposed convolution with fewer than 16 result channels (the data gradient of a
        // convolution with few input channels) in blocks of 8: oneDNN's choice, blocks of 16,
        // computes the padded channels too (LeNet-5's conv2 gradient, 16 → 6 channels at batch
        // 64: 0.72 → 0.58 ms with its reorders; its training step 3.55 → 3.39 ms, one thread).
        let fewOutputs = transposed && oc < 16 && blockedLayouts
        var dstAny = try desc([n, oc, oh, ow], firstLayer || fewOutputs ? dnnl_nChw8c : activationTag(oc))
        var wAny = g == 1 ? try desc([oc, c, kh, kw], tag(transposed ? dnnl_iohw : dnnl_oihw))
            : try desc([g, oc / g, c / g, kh, kw], tag(transposed ? dnnl_giohw : dnnl_goihw))
        let bdesc = try desc([oc], dnnl_a)
        let bbox = UnsafeMutablePointer<dnnl_memory_desc_t>.allocate(capacity: 1)
        bbox.initialize(to: bdesc)
        defer { bbox.deallocate() }
        let bptr: UnsafePointer<dnnl_memory_desc_t>? = bias == nil ? nil : UnsafePointer(bbox)
        let what = (transposed ? "a transposed convolution" : "a convolution") + (ops.isEmpty ? "" : " with post-ops")
        let po = try postOps(ops, channels: oc)
        defer { if po != nil { dnnl_post_ops_destroy(po) } }
        // The primitive is the one a plain source gets, whatever layout a previous step left the
        // source in: the kept source is read as it is when its layout is the one this primitive
        // wants, else reordered. Creating the primitive for the kept layout instead (as before)
        // picked slower kernels (digits_resnet's 16-channel convolutions after its first layer's
        // 8-channel blocks: jit:avx2 0.235 ms against brgconv's 0.18 ms and a 0.007 ms reorder;
        // its inference at batch 64 1.09 → 1.37 ms) and other sums than the plan without kept
        // layouts (ResNet-18's training step then differed from it by up to 8e-4 after batch norm).
        var srcAny = try desc([n, c, h, wd], firstLayer ? dnnl_nchw : fewOutputs ? dnnl_nChw8c : activationTag(c))
        // (NHWC on both sides: from NCHW into NHWC oneDNN has only its reference kernel. With one
        // input channel the plain source is that memory already.)
        if forOwnKernels { (srcAny, dstAny) = (try desc([n, c, h, wd], dnnl_nhwc), try desc([n, oc, oh, ow], dnnl_nhwc)) }
        let made: (dnnl_primitive_t?, Int, dnnl_primitive_desc_t?)
        if transposed {
            var d = dnnl_deconvolution_desc_t()
            try check(dnnl_dilated_deconvolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_deconvolution_direct, &srcAny,
                                                                  &wAny, bptr, &dstAny, strides, dil, padL, padR),
                      "describing \(what)")
            made = try withUnsafePointer(to: &d) { try primitive(UnsafeRawPointer($0), what: what, postOps: po) }
        } else {
            var d = dnnl_convolution_desc_t()
            try check(dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &srcAny,
                                                                &wAny, bptr, &dstAny, strides, dil, padL, padR),
                      "describing \(what)")
            made = try withUnsafePointer(to: &d) { try primitive(UnsafeRawPointer($0), what: what, postOps: po) }
        }
        var call = DNNLCall(primitive: made.0, pd: made.2, scratchBytes: made.1)
        try attach(&call, DNNL_ARG_SRC, pd: made.2, query: dnnl_query_src_md, plain: src, x, output: false)
        try attach(&call, DNNL_ARG_WEIGHTS, pd: made.2, query: dnnl_query_weights_md, plain: wdesc, w, output: false)
        try attach(&call, DNNL_ARG_DST, pd: made.2, query: dnnl_query_dst_md, plain: dst, y, output: true)
        if let bias { call.args.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: try memory(bdesc, bias))) }
        try bindPostOps(ops, to: &call, channels: oc, plainDst: dst, y: y.pointer)
        return call
    }

    /// Max or average (padding counted) pooling forward (inference).
    /// `x` may come in a layout a previous step left it in; a kept `y` takes the layout oneDNN
    /// chooses for it (that of `x`).
    func pooling(_ a: [Int], x: DNNLOperand, y: DNNLOperand) throws -> DNNLCall {
        let plainSrc = try desc([a[1], a[2], a[3], a[4]], dnnl_nchw), plainDst = try desc([a[1], a[2], a[7], a[8]], dnnl_nchw)
        // From a source in a oneDNN layout, the result in the same layout (oneDNN has only its
        // reference kernel for a change of layout), reordered after unless it is kept.
        var src = x.layout ?? plainSrc
        var dst = y.keep || x.layout != nil ? try desc([a[1], a[2], a[7], a[8]], dnnl_format_tag_any) : plainDst
        let kernel = [Int64(a[5]), Int64(a[6])], strides = [Int64(a[9]), Int64(a[10])]
        let padL = [Int64(a[11]), Int64(a[12])], padR = [Int64(a[13]), Int64(a[14])], dil: [Int64] = [0, 0]
        var d = dnnl_pooling_v2_desc_t()
        try check(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, a[0] == 1 ? dnnl_pooling_max : dnnl_pooling_avg_include_padding,
                                                    &src, &dst, strides, kernel, dil, padL, padR), "describing a pooling")
        let made = try withUnsafePointer(to: &d) { try primitive(UnsafeRawPointer($0), what: "a pooling") }
        var call = DNNLCall(primitive: made.0, pd: made.2, scratchBytes: made.1)
        try attach(&call, DNNL_ARG_SRC, pd: made.2, query: dnnl_query_src_md, plain: plainSrc, x, output: false)
        try attach(&call, DNNL_ARG_DST, pd: made.2, query: dnnl_query_dst_md, plain: plainDst, y, output: true)
        return call
    }

    /// The gradient of a convolution with respect to its weight (no bias gradient): oneDNN's
    /// backward-weights primitive, created with a forward-training descriptor as its hint.
    /// `x` and `dy` may come in layouts previous steps left them in (reordered if the primitive
    /// wants others).
    func convolutionBackwardWeight(_ a: [Int], x: DNNLOperand, dy: DNNLOperand,
                                   dw: UnsafeMutableRawPointer) throws -> DNNLCall {
        let (n, c, h, wd, oc, kh, kw, oh, ow) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])
        let strides = [Int64(a[9]), Int64(a[10])], dil = [Int64(a[11] - 1), Int64(a[12] - 1)]
        let padL = [Int64(a[13]), Int64(a[15])], padR = [Int64(a[14]), Int64(a[16])]
        let g = a[17]
        let src = try desc([n, c, h, wd], dnnl_nchw), dst = try desc([n, oc, oh, ow], dnnl_nchw)
        let wdesc = g == 1 ? try desc([oc, c, kh, kw], dnnl_oihw) : try desc([g, oc / g, c / g, kh, kw], dnnl_goihw)
        // At most 16 channels on both sides, fewer on one: x and dy in NHWC. oneDNN's own choice,
        // blocks of 16 channels, pads them (LeNet-5's weight gradients at batch 64, one thread:
        // conv1's dy reorder 0.13–0.19 → 0.05–0.06 ms, conv2's primitive 0.44–0.60 → 0.27 ms;
        // its training step 3.9–4.1 → 3.6–3.8 ms). Not for wider layers: ResNet-18's stem (3 → 64
        // channels) took 10.7–11.0 ms in NHWC against 9.2–9.7 ms.
        let fewChannels = min(c, oc) < 16 && max(c, oc) <= 16 && blockedLayouts
        var srcAny = try desc([n, c, h, wd], fewChannels ? dnnl_nhwc : activationTag(c))
        var dstAny = try desc([n, oc, oh, ow], fewChannels ? dnnl_nhwc : activationTag(oc))
        var wAny = g == 1 ? try desc([oc, c, kh, kw], tag(dnnl_oihw)) : try desc([g, oc / g, c / g, kh, kw], tag(dnnl_goihw))
        let what = "a convolution's weight gradient"
        var fd = dnnl_convolution_desc_t()
        try check(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &srcAny,
                                                            &wAny, nil, &dstAny, strides, dil, padL, padR),
                  "describing \(what)")
        var hint: dnnl_primitive_desc_t?
        try withUnsafePointer(to: &fd) {
            try check(dnnl_primitive_desc_create(&hint, UnsafeRawPointer($0).assumingMemoryBound(to: Int8.self), nil, engine, nil),
                      "creating \(what) (forward hint)")
        }
        defer { dnnl_primitive_desc_destroy(hint) }
        var bd = dnnl_convolution_desc_t()
        try check(dnnl_dilated_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &srcAny, &wAny, nil, &dstAny,
                                                                     strides, dil, padL, padR),
                  "describing \(what)")
        let made = try withUnsafePointer(to: &bd) { try primitive(UnsafeRawPointer($0), what: what, hint: hint) }
        var call = DNNLCall(primitive: made.0, pd: made.2, scratchBytes: made.1)
        try attach(&call, DNNL_ARG_SRC, pd: made.2, query: dnnl_query_src_md, plain: src, x, output: false)
        try attach(&call, DNNL_ARG_DIFF_DST, pd: made.2, query: dnnl_query_diff_dst_md, plain: dst, dy, output: false)
        try attach(&call, DNNL_ARG_DIFF_WEIGHTS, pd: made.2, query: dnnl_query_diff_weights_md, plain: wdesc, DNNLOperand(dw),
                   output: true)
        return call
    }
}
