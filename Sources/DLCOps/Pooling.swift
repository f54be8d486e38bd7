// Pooling of NCHW tensors: maxpool2d, avgpool2d, global_avgpool.
import DLCCore

/// `maxpool2d` / `avgpool2d`: PyTorch's rules. `stride` defaults to the kernel; padding (an
/// int or [h, w]) may be at most half the kernel; with ceil_mode a last partial window is
/// kept if it starts inside the input.
func inferPool(_ args: Arguments, op: String) throws -> [TensorType] {
    let x = try args.tensor("x").type
    try Check.rank(x, 4, layout: "[N, C, H, W]", operand: 0, op: op)
    try ResultLayout.check(args, op: op)
    if op == "avgpool2d" { try Shapes.requireFloat(x, operand: 0, op: op) } else { try Check.numeric(x, operand: 0, op: op) }
    let kernel = try args.ints("kernel", count: 2)
    let stride: [Int]
    if let v = args.value("stride"), v != .symbol("none") { stride = try args.ints("stride", count: 2) } else { stride = kernel }
    let pad = try args.ints("padding", count: 2, minimum: 0)
    for i in 0..<2 where pad[i] > kernel[i] / 2 {
        throw DLCError("'\(op)' needs padding of at most half the window, found padding \(pad[i]) for a window of \(kernel[i])",
                       argument: "padding")
    }
    let hw = try windowOutput(x, kernel: kernel, stride: stride, padding: .explicit([pad[0], pad[0], pad[1], pad[1]]),
                              ceilMode: try args.bool("ceil_mode"), op: op, what: "pooling window", blame: "kernel",
                              operands: [0])
    return [x.with(shape: [x.shape[0], x.shape[1], .known(hw[0]), .known(hw[1])])]
}

func registerPooling(_ registry: Registry) throws {
    for (name, summary) in [("maxpool2d", "Maximum over sliding windows of NCHW tensors."),
                            ("avgpool2d", "Average over sliding windows of NCHW tensors (padding counted).")] {
        try registry.register(OpSpec(name, family: .pooling,
            signature: Signature([.operand("x", "[N, C, H, W]"),
                                  .attr("kernel", .ints, nil, "window size: an int or [kh, kw]"),
                                  .attr("stride", .value, .symbol("none"), "an int or [sh, sw]; none means the kernel"),
                                  .attr("padding", .ints, .int(0), "an int or [h, w], at most half the kernel"),
                                  .attr("ceil_mode", .bool, .bool(false), "round the output size up"),
                                  ResultLayout.argument]),
            summary: summary,
            flops: { args, outs in
                let k = (try? args.ints("kernel", count: 2)) ?? [1, 1]
                return (outs.first?.elementCount() ?? 0) &* k[0] &* k[1]
            },
            infer: { try inferPool($0, op: name) }))
    }
    try registry.register(OpSpec("global_avgpool", family: .pooling,
        signature: Signature([.operand("x", "[N, C, H, W]")]),
        summary: "Average over all of H and W: [N, C, H, W] → [N, C, 1, 1].",
        flops: { args, _ in (try? args.tensor("x").type.elementCount()) ?? 0 }) { args in
        let x = try args.tensor("x").type
        try Check.rank(x, 4, layout: "[N, C, H, W]", operand: 0, op: "global_avgpool")
        try Shapes.requireFloat(x, operand: 0, op: "global_avgpool")
        return [x.with(shape: [x.shape[0], x.shape[1], .known(1), .known(1)])]
    })
}
