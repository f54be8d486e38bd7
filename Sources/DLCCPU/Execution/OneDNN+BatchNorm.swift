// oneDNN's batch normalization for inference, with the running statistics. Data is plain NCHW;
// an [N, C] tensor is described as [N, C, 1, 1] and an [N, C, H, W] one as [N, C, H·W, 1] (the
// statistics are per channel either way). A training step's batch normalization runs our own
// kernels instead (BatchNormBinding.swift), whose sums do not depend on the layout.
import CDNNL

extension DNNLContext {
    /// ints [N, C, spatial]: y from x, weight, bias and the running mean and variance.
    func batchNormInference(_ a: [Int], eps: Double, x: UnsafeMutableRawPointer, weight: UnsafeMutableRawPointer,
                            bias: UnsafeMutableRawPointer, mean: UnsafeMutableRawPointer, variance: UnsafeMutableRawPointer,
                            y: UnsafeMutableRawPointer) throws -> DNNLCall {
        var data = try desc([a[0], a[1], a[2], 1], dnnl_nchw), channels = try desc([a[1]], dnnl_x)
        let flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | dnnl_use_global_stats.rawValue
        var d = dnnl_batch_normalization_desc_t()
        try check(dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_inference, &data, Float(eps), flags),
                  "describing a batch normalization")
        let made = try withUnsafePointer(to: &d) { try primitive(UnsafeRawPointer($0), what: "a batch normalization") }
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: try memory(data, x)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: try memory(data, y)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_SCALE, memory: try memory(channels, weight)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_SHIFT, memory: try memory(channels, bias)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_MEAN, memory: try memory(channels, mean)),
                    dnnl_exec_arg_t(arg: DNNL_ARG_VARIANCE, memory: try memory(channels, variance))]
        return DNNLCall(primitive: made.0, args: args, pd: made.2, scratchBytes: made.1)
    }
}
