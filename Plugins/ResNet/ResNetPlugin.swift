// The `resnet` plugin: residual blocks, stages and whole ResNets, laid out and named as
// torchvision's (`layer1.0.conv1.weight`, `layer2.0.downsample.0.weight`) so that pretrained
// weights map one to one. Written against the public plugin API of DLCCore only.
import DLCCore

/// `use resnet` in a `.dlg` file makes these layers visible.
public let resnetPlugin = Plugin(name: "resnet", summary: "residual blocks, stages and ResNet-18/34/50/101/152") { r in
    try r.register(LayerSpec("basic_block", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, C, H, W]"), ArgSpec("channels", .int), ArgSpec("stride", .int, default: .int(1)),
    ]), summary: "two 3×3 convolutions with batch norm and a residual connection (projected when the shape changes)",
        createsParameters: true) { b, args in
        [try basicBlock(b, try args.tensor("x"), channels: try args.positiveInt("channels"), stride: try args.positiveInt("stride"))]
    })
    try r.register(LayerSpec("bottleneck", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, C, H, W]"), ArgSpec("channels", .int), ArgSpec("stride", .int, default: .int(1)),
        ArgSpec("expansion", .int, default: .int(4)),
    ]), summary: "1×1 reduce, 3×3, 1×1 expand (×expansion), with batch norm and a residual connection",
        createsParameters: true) { b, args in
        [try bottleneck(b, try args.tensor("x"), channels: try args.positiveInt("channels"),
                        stride: try args.positiveInt("stride"), expansion: try args.positiveInt("expansion"))]
    })
    try r.register(LayerSpec("resnet_stage", signature: Signature([
        ArgSpec("x", .tensor), ArgSpec("block", .string), ArgSpec("channels", .int), ArgSpec("blocks", .int),
        ArgSpec("stride", .int, default: .int(1)),
    ]), summary: "a stage of residual blocks named 0, 1, …; the first one strides", createsParameters: true) { b, args in
        let kind = try BlockKind(args.string("block"))
        return [try stage(b, try args.tensor("x"), kind: kind, channels: try args.positiveInt("channels"),
                          blocks: try args.positiveInt("blocks"), stride: try args.positiveInt("stride"))]
    })
    try r.register(LayerSpec("resnet", signature: Signature([
        ArgSpec("x", .tensor, doc: "[N, 3, H, W]"), ArgSpec("depth", .int), ArgSpec("classes", .int, default: .int(1000)),
    ]), summary: "ResNet-18/34/50/101/152 as torchvision builds it: stem, four stages, pooling, classifier",
        createsParameters: true) { b, args in
        [try resnet(b, try args.tensor("x"), depth: try args.int("depth"), classes: try args.positiveInt("classes"))]
    })
}

enum BlockKind {
    case basic, bottleneck

    init(_ name: String) throws {
        switch name {
        case "basic", "basic_block": self = .basic
        case "bottleneck": self = .bottleneck
        default: throw DLCError("unknown residual block '\(name)'; use basic or bottleneck", argument: "block")
        }
    }

    var expansion: Int { self == .basic ? 1 : 4 }
}
