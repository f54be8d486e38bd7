// Residual blocks and the ResNet builder, as compositions of the built-in layers.
import DLCCore

/// A convolution without bias followed by batch norm, named `conv{i}` and `bn{i}`.
func convBN(_ b: GraphBuilder, _ x: Tensor, _ channels: Int, kernel: Int, stride: Int, padding: Int,
            conv: String, bn: String) throws -> Tensor {
    let c = try b.layer1("conv2d", scope: conv, [x], ["filters": .int(channels), "kernel": .int(kernel),
                                                      "stride": .int(stride), "padding": .int(padding), "bias": .bool(false)])
    return try b.layer1("batchnorm", scope: bn, [c])
}

/// The shortcut: the input itself, or `downsample.0` (1×1 conv) + `downsample.1` (batch norm)
/// when the stride or the channel count changes.
func shortcut(_ b: GraphBuilder, _ x: Tensor, out: Int, stride: Int) throws -> Tensor {
    guard let c = x.shape[1].value else {
        throw DLCError("residual blocks need a known channel count, found \(x.type)", operands: [0])
    }
    if stride == 1 && c == out { return x }
    return try convBN(b, x, out, kernel: 1, stride: stride, padding: 0, conv: "downsample.0", bn: "downsample.1")
}

func requireImage(_ x: Tensor, layer: String) throws {
    guard x.rank == 4, x.dtype.isFloat else {
        throw DLCError("'\(layer)' expects a floating-point tensor of rank 4 [N, C, H, W], found \(x.type)", operands: [0])
    }
}

func basicBlock(_ b: GraphBuilder, _ x: Tensor, channels: Int, stride: Int) throws -> Tensor {
    try requireImage(x, layer: "basic_block")
    let identity = try shortcut(b, x, out: channels, stride: stride)
    var h = try convBN(b, x, channels, kernel: 3, stride: stride, padding: 1, conv: "conv1", bn: "bn1")
    h = try b.op1("relu", [h])
    h = try convBN(b, h, channels, kernel: 3, stride: 1, padding: 1, conv: "conv2", bn: "bn2")
    return try b.op1("relu", [try b.op1("add", [h, identity])])
}

/// torchvision's Bottleneck (ResNet v1.5: the stride is on the 3×3 convolution).
func bottleneck(_ b: GraphBuilder, _ x: Tensor, channels: Int, stride: Int, expansion: Int) throws -> Tensor {
    try requireImage(x, layer: "bottleneck")
    let out = channels * expansion
    let identity = try shortcut(b, x, out: out, stride: stride)
    var h = try convBN(b, x, channels, kernel: 1, stride: 1, padding: 0, conv: "conv1", bn: "bn1")
    h = try b.op1("relu", [h])
    h = try convBN(b, h, channels, kernel: 3, stride: stride, padding: 1, conv: "conv2", bn: "bn2")
    h = try b.op1("relu", [h])
    h = try convBN(b, h, out, kernel: 1, stride: 1, padding: 0, conv: "conv3", bn: "bn3")
    return try b.op1("relu", [try b.op1("add", [h, identity])])
}

func stage(_ b: GraphBuilder, _ x: Tensor, kind: BlockKind, channels: Int, blocks: Int, stride: Int) throws -> Tensor {
    var h = x
    for i in 0..<blocks {
        let s = i == 0 ? stride : 1
        h = try b.withScope(String(i)) {
            kind == .basic ? try basicBlock(b, h, channels: channels, stride: s)
                : try bottleneck(b, h, channels: channels, stride: s, expansion: kind.expansion)
        }
    }
    return h
}

/// Blocks per stage for each depth, as in the ResNet paper and torchvision.
let resnetLayouts: [Int: (BlockKind, [Int])] = [
    18: (.basic, [2, 2, 2, 2]), 34: (.basic, [3, 4, 6, 3]), 50: (.bottleneck, [3, 4, 6, 3]),
    101: (.bottleneck, [3, 4, 23, 3]), 152: (.bottleneck, [3, 8, 36, 3]),
]

func resnet(_ b: GraphBuilder, _ x: Tensor, depth: Int, classes: Int) throws -> Tensor {
    guard let (kind, layout) = resnetLayouts[depth] else {
        throw DLCError("ResNet depth must be 18, 34, 50, 101 or 152, found \(depth)", argument: "depth")
    }
    try requireImage(x, layer: "resnet")
    var h = try convBN(b, x, 64, kernel: 7, stride: 2, padding: 3, conv: "conv1", bn: "bn1")
    h = try b.op1("relu", [h])
    h = try b.op1("maxpool2d", [h], ["kernel": .int(3), "stride": .int(2), "padding": .int(1)])
    for (i, blocks) in layout.enumerated() {
        let channels = 64 << i
        h = try b.withScope("layer\(i + 1)") {
            try stage(b, h, kind: kind, channels: channels, blocks: blocks, stride: i == 0 ? 1 : 2)
        }
    }
    h = try b.op1("flatten", [try b.op1("global_avgpool", [h])])
    return try b.layer1("dense", scope: "fc", [h], ["units": .int(classes)])
}
