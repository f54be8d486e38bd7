// The epilogue of a fused convolution (Lowering+FusedConvolution.swift) as oneDNN post-ops of
// its convolution primitive, applied to the float accumulator (after the bias) before it is
// stored:
// - a residual add is oneDNN's `sum`: the primitive adds what its destination holds, so the
//   residual (always a plain buffer: only data operands stay in oneDNN's layouts) is reordered
//   into the destination (the plain result, the temporary in oneDNN's chosen layout, or the
//   shadow of a kept result, OneDNN+Layouts.swift) before the primitive runs;
// - a per-channel add is a `binary_add` of a [1, C, 1, 1] tensor, passed as the post-op's
//   argument;
// - a scaling is the `linear` eltwise (alpha c, beta 0), the activations their eltwise
//   algorithms: relu (leaky_relu is relu with alpha as the negative slope), elu, tanh,
//   logistic (sigmoid), gelu_tanh and gelu_erf, which compute the same functions as our
//   kernels (the transcendental ones with oneDNN's own approximations, within a few ulps).
import CDNNL
import DLCCore

/// One post-op of a fused convolution's primitive.
enum ConvolutionPostOp {
    /// Adds a tensor of the result's shape (oneDNN's `sum`), read from this address.
    case residual(UnsafeMutableRawPointer)
    /// Adds one value per output channel (a `binary_add` of [1, C, 1, 1]), read from this address.
    case channelAdd(UnsafeMutableRawPointer)
    /// An eltwise algorithm with its parameters.
    case eltwise(dnnl_alg_kind_t, alpha: Float, beta: Float)
}

/// The oneDNN eltwise of an epilogue activation code (Lowering+Epilogue.swift) with its parameter.
private func eltwise(code: Int, alpha: Double) -> ConvolutionPostOp? {
    switch code {
    case 0: .eltwise(dnnl_eltwise_relu, alpha: 0, beta: 0)
    case 1: .eltwise(dnnl_eltwise_relu, alpha: Float(alpha), beta: 0)
    case 2: .eltwise(dnnl_eltwise_elu, alpha: Float(alpha), beta: 0)
    case 3: .eltwise(dnnl_eltwise_tanh, alpha: 0, beta: 0)
    case 4: .eltwise(dnnl_eltwise_logistic, alpha: 0, beta: 0)
    case 5: .eltwise(dnnl_eltwise_gelu_tanh, alpha: 0, beta: 0)
    case 6: .eltwise(dnnl_eltwise_gelu_erf, alpha: 0, beta: 0)
    default: nil
    }
}

/// The number of ints of an unfused convolution step (Lowering+Heavy.swift).
let convolutionStepInts = 19

extension Executor {
    /// The post-ops of a `convolution` or `deconvolution` step: none for an unfused one.
    func convolutionPostOps(_ s: PlanStep) throws -> [ConvolutionPostOp] {
        let a = s.ints, base = convolutionStepInts
        guard a.count > base else { return [] }
        let n = a[base]
        guard n >= 0, a.count == base + 1 + 3 * n, s.floats.count == n else {
            throw DLCError("internal error: the post-ops of step '\(s.op)' are malformed (\(a.count) ints, \(s.floats.count) floats)")
        }
        return try (0..<n).map { i in
            let kind = a[base + 1 + 3 * i], operand = a[base + 2 + 3 * i], code = a[base + 3 + 3 * i], p = s.floats[i]
            let added = { () throws -> UnsafeMutableRawPointer in
                guard s.inputs.indices.contains(operand) else {
                    throw DLCError("internal error: post-op \(i) of step '\(s.op)' adds operand \(operand) of \(s.inputs.count)")
                }
                return self.pointer(s.inputs[operand])
            }
            switch EpilogueKind(rawValue: kind) {
            case .add: return .residual(try added())
            case .addVector: return .channelAdd(try added())
            case .scale: return .eltwise(dnnl_eltwise_linear, alpha: Float(p), beta: 0)
            case .activation:
                guard let op = eltwise(code: code, alpha: p) else {
                    throw DLCError("internal error: post-op \(i) of step '\(s.op)' has the unknown activation code \(code)")
                }
                return op
            case .reluMask:
                throw DLCError("internal error: post-op \(i) of step '\(s.op)' is a relu_mask, which oneDNN has no post-op for")
            case nil:
                throw DLCError("internal error: post-op \(i) of step '\(s.op)' has the unknown kind \(kind)")
            }
        }
    }
}

extension DNNLContext {
    /// oneDNN post-ops for `ops` (nil when there are none), for a destination of `channels`
    /// channels; the caller destroys them (`dnnl_post_ops_destroy`).
    func postOps(_ ops: [ConvolutionPostOp], channels: Int) throws -> dnnl_post_ops_t? {
        guard !ops.isEmpty else { return nil }
        var po: dnnl_post_ops_t?
        try check(dnnl_post_ops_create(&po), "creating post-ops")
        do {
            for op in ops {
                switch op {
                case .residual:
                    try check(dnnl_post_ops_append_sum(po, 1), "appending a sum post-op")
                case .channelAdd:
                    var md = try desc([1, channels, 1, 1], dnnl_nchw)
                    try check(dnnl_post_ops_append_binary(po, dnnl_binary_add, &md), "appending a per-channel add post-op")
                case .eltwise(let alg, let alpha, let beta):
                    try check(dnnl_post_ops_append_eltwise(po, 1, alg, alpha, beta), "appending an eltwise post-op")
                }
            }
        } catch {
            dnnl_post_ops_destroy(po)
            throw error
        }
        return po
    }

    /// Binds the operands of `ops` to `call`, whose destination (plain layout `plainDst` at `y`)
    /// is already attached: each per-channel vector as its binary post-op's argument, and the
    /// residual reordered into the destination before the primitive runs (nothing to do when
    /// the residual already is the plain destination).
    func bindPostOps(_ ops: [ConvolutionPostOp], to call: inout DNNLCall, channels: Int, plainDst: dnnl_memory_desc_t,
                     y: UnsafeMutableRawPointer) throws {
        for (i, op) in ops.enumerated() {
            switch op {
            case .channelAdd(let vector):
                let arg = Int32(DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE) * Int32(i + 1) | Int32(DNNL_ARG_SRC_1)
                call.args.append(dnnl_exec_arg_t(arg: arg, memory: try memory(try desc([1, channels, 1, 1], dnnl_nchw), vector)))
            case .residual(let residual):
                guard let dst = call.args.last(where: { $0.arg == DNNL_ARG_DST })?.memory else {
                    throw DLCError("internal error: a convolution with a sum post-op has no destination")
                }
                var handle: UnsafeMutableRawPointer?
                try check(dnnl_memory_get_data_handle(dst, &handle), "reading a destination's address")
                if handle == y, residual == y { continue }
                var dstDesc: UnsafePointer<dnnl_memory_desc_t>?
                try check(dnnl_memory_get_memory_desc(dst, &dstDesc), "reading a destination's layout")
                guard let dstDesc else { throw DLCError("internal error: a convolution's destination has no layout") }
                call.before.append(try reorder(from: (plainDst, try memory(plainDst, residual)), to: (dstDesc.pointee, dst)))
            case .eltwise:
                break
            }
        }
    }
}
