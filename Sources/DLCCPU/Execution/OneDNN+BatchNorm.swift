// oneDNN's batch normalization: inference with the running statistics, and for the training
// step, forward with the batch's statistics (which it returns, for the running statistics and
// the backward pass) and backward (dx and the scale and shift gradients in one primitive).
// Data is plain NCHW; an [N, C] tensor is described as [N, C, 1, 1] and an [N, C, H, W] one
// as [N, C, H·W, 1] (the statistics are per channel either way).
import CDNNL

extension DNNLContext {
    private func batchNormDescriptors(_ a: [Int]) throws -> (data: dnnl_memory_desc_t, channels: dnnl_memory_desc_t) {
        (try desc([a[0], a[1], a[2], 1], dnnl_nchw), try desc([a[1]], dnnl_x))
    }

    private var scaleAndShift: UInt32 { dnnl_use_scale.rawValue | dnnl_use_shift.rawValue }

    /// The forward descriptor: training (batch statistics computed and returned; also the
    /// backward primitive's hint) or inference (the running statistics given).
    private func batchNormForwardDesc(_ data: inout dnnl_memory_desc_t, eps: Double,
                                      training: Bool) throws -> dnnl_batch_normalization_desc_t {
        var d = dnnl_batch_normalization_desc_t()
        try check(dnnl_batch_normalization_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference, &data,
                                                             Float(eps),
                                                             training ? scaleAndShift : scaleAndShift | dnnl_use_global_stats.rawValue),
                  "describing a batch normalization")
        return d
    }

    /// ints [N, C, spatial]: y from x, weight and bias. In training the batch mean and biased
    /// variance are written to `mean` and `variance`; in inference they are the running
    /// statistics read from there.
    func batchNormForward(_ a: [Int], eps: Double, training: Bool, x: UnsafeMutableRawPointer, weight: UnsafeMutableRawPointer,
                          bias: UnsafeMutableRawPointer, mean: UnsafeMutableRawPointer, variance: UnsafeMutableRawPointer,
                          y: UnsafeMutableRawPointer) throws -> DNNLCall {
        var (data, channels) = try batchNormDescriptors(a)
        var d = try batchNormForwardDesc(&data, eps: eps, training: training)
        let made = try withUnsafePointer(to: &d) { try primitive(UnsafeRawPointer($0), what: "a batch normalization") }
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: try memory(data, x)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: try memory(data, y)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_SCALE, memory: try memory(channels, weight)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_SHIFT, memory: try memory(channels, bias)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_MEAN, memory: try memory(channels, mean)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_VARIANCE, memory: try memory(channels, variance))]
        return DNNLCall(primitive: made.0, args: args, pd: made.2, scratchBytes: made.1)
    }

    /// ints [N, C, spatial]: dx, dweight and dbias from x, weight, the batch statistics and dy.
    func batchNormBackward(_ a: [Int], eps: Double, x: UnsafeMutableRawPointer, weight: UnsafeMutableRawPointer,
                           mean: UnsafeMutableRawPointer, variance: UnsafeMutableRawPointer, dy: UnsafeMutableRawPointer,
                           dx: UnsafeMutableRawPointer, dweight: UnsafeMutableRawPointer,
                           dbias: UnsafeMutableRawPointer) throws -> DNNLCall {
        var (data, channels) = try batchNormDescriptors(a)
        var fd = try batchNormForwardDesc(&data, eps: eps, training: true)
        var hint: dnnl_primitive_desc_t?
        try withUnsafePointer(to: &fd) {
            try check(dnnl_primitive_desc_create(&hint, UnsafeRawPointer($0).assumingMemoryBound(to: Int8.self), nil, engine, nil),
                      "creating a batch normalization (forward hint)")
        }
        defer { dnnl_primitive_desc_destroy(hint) }
        var diff = data
        var bd = dnnl_batch_normalization_desc_t()
        try check(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &diff, &data, Float(eps), scaleAndShift),
                  "describing a batch normalization's gradient")
        let made = try withUnsafePointer(to: &bd) {
            try primitive(UnsafeRawPointer($0), what: "a batch normalization's gradient", hint: hint)
        }
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: try memory(data, x)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_MEAN, memory: try memory(channels, mean)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_VARIANCE, memory: try memory(channels, variance)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_DST, memory: try memory(data, dy)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_SCALE, memory: try memory(channels, weight)),
                    // oneDNN 2.6 checks that a shift is given when the gradient of one is asked
                    // for, though it does not read it: the weight's bytes stand in.
                    dnnl_exec_arg_t(arg: DNNL_ARG_SHIFT, memory: try memory(channels, weight)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_SRC, memory: try memory(data, dx)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_SCALE, memory: try memory(channels, dweight)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_SHIFT, memory: try memory(channels, dbias))]
        return DNNLCall(primitive: made.0, args: args, pd: made.2, scratchBytes: made.1)
    }
}
