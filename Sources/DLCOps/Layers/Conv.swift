// Convolution layers: `conv2d` and `conv_transpose2d` (PyTorch's Conv2d / ConvTranspose2d).
import DLCCore

/// Checks shared by both layers; returns the input channel count.
private func checkConvInput(_ x: Tensor, _ args: Arguments, layer: String) throws -> (channels: Int, filters: Int, groups: Int) {
    try Check.rank(x.type, 4, layout: "[N, C, H, W]", operand: 0, op: layer)
    try requireFloatInput(x, layer: layer)
    let c = try Check.known(x.type, 1, operand: 0, op: layer, what: "channel count")
    let filters = try args.positiveInt("filters"), groups = try args.positiveInt("groups")
    guard c % groups == 0 else {
        throw DLCError("'\(layer)' needs the input channels to be divisible by groups, but \(x.type) has \(c) channels and groups is \(groups)",
                       argument: "groups", operands: [0])
    }
    guard filters % groups == 0 else {
        throw DLCError("'\(layer)' needs filters to be divisible by groups, found filters \(filters) and groups \(groups)",
                       argument: "filters")
    }
    // Validate the window arguments here so errors blame the layer's own arguments.
    _ = try args.ints("stride", count: 2)
    _ = try args.ints("dilation", count: 2)
    _ = try Padding.parse(args, op: layer, allowSame: layer == "conv2d")
    return (c, filters, groups)
}

/// The window attributes passed through to the op.
private func windowAttributes(_ args: Arguments, _ names: [String]) -> Attributes {
    var attrs: Attributes = [:]
    for n in names { attrs[n] = args.value(n) }
    return attrs
}

/// `conv2d(x, filters, kernel)`: weight [filters, C/groups, kh, kw], bias [filters].
private func expandConv2d(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let x = try args.tensor("x")
    let (c, filters, groups) = try checkConvInput(x, args, layer: "conv2d")
    let k = try args.ints("kernel", count: 2)
    let fanIn = c / groups * k[0] * k[1]
    let wInit = try initializer(args, "weight_init", layer: "conv2d")
    let bInit = try biasInitializer(args, layer: "conv2d", fanIn: fanIn)
    let w = try b.param("weight", shape: [filters, c / groups, k[0], k[1]], dtype: x.dtype, initializer: wInit)
    var inputs = [x, w]
    if try args.bool("bias") { inputs.append(try b.param("bias", shape: [filters], dtype: x.dtype, initializer: bInit)) }
    return try b.op("convolution", inputs, windowAttributes(args, ["stride", "padding", "dilation", "groups"]))
}

/// `conv_transpose2d(x, filters, kernel)`: weight [C, filters/groups, kh, kw], bias [filters].
private func expandConvTranspose2d(_ b: GraphBuilder, _ args: Arguments) throws -> [Tensor] {
    let x = try args.tensor("x")
    let (c, filters, groups) = try checkConvInput(x, args, layer: "conv_transpose2d")
    let k = try args.ints("kernel", count: 2)
    _ = try args.ints("output_padding", count: 2, minimum: 0)
    // PyTorch computes the fan-in of a transposed convolution's weight from its dimension 1.
    let fanIn = filters / groups * k[0] * k[1]
    let wInit = try initializer(args, "weight_init", layer: "conv_transpose2d")
    let bInit = try biasInitializer(args, layer: "conv_transpose2d", fanIn: fanIn)
    let w = try b.param("weight", shape: [c, filters / groups, k[0], k[1]], dtype: x.dtype, initializer: wInit)
    var inputs = [x, w]
    if try args.bool("bias") { inputs.append(try b.param("bias", shape: [filters], dtype: x.dtype, initializer: bInit)) }
    return try b.op("conv_transpose", inputs,
                    windowAttributes(args, ["stride", "padding", "output_padding", "dilation", "groups"]))
}

func registerConvLayers(_ registry: Registry) throws {
    func signature(transposed: Bool) -> Signature {
        Signature([.operand("x", "[N, C, H, W]"), .attr("filters", .int, nil, "output channels"),
                   .attr("kernel", .ints, nil, "an int or [kh, kw]"), .attr("stride", .ints, .int(1)),
                   .attr("padding", .value, .int(0), transposed ? "an int, [h, w] or [top, bottom, left, right]"
                         : "an int, [h, w], [top, bottom, left, right], same or valid")]
                  + (transposed ? [.attr("output_padding", .ints, .int(0))] : [])
                  + [.attr("dilation", .ints, .int(1)), .attr("groups", .int, .int(1)),
                     .attr("bias", .bool, .bool(true))] + initArgs)
    }
    try registry.register(LayerSpec("conv2d", signature: signature(transposed: false),
        summary: "2-D convolution layer: weight [filters, C/groups, kh, kw], bias [filters].",
        createsParameters: true, expand: expandConv2d))
    try registry.register(LayerSpec("conv_transpose2d", signature: signature(transposed: true),
        summary: "2-D transposed convolution layer: weight [C, filters/groups, kh, kw], bias [filters].",
        createsParameters: true, expand: expandConvTranspose2d))
}
