import DLCCore
import DLCOps
import XCTest

final class LayerTests: XCTestCase {
    func testDense() throws {
        let h = Harness()
        let y = try h.layer("dense", ["f32[N, 400]"], ["units": .int(120)])
        XCTAssertEqual(y.map(\.type.description), ["f32[N, 120]"])
        XCTAssertEqual(h.params, ["dense.weight: f32[120, 400]", "dense.bias: f32[120]"])
        XCTAssertEqual(h.builder.graph.trainableParameterCount, 48_120)
        XCTAssertEqual(h.builder.graph.nodes.map(\.op), ["input", "param", "matmul", "param", "add"])
        let bias = h.builder.graph.paramNodes[1]
        XCTAssertEqual(bias.attributes["init"], Initializer.uniform(low: -1 / 20, high: 1 / 20).attribute)
        XCTAssertEqual(h.builder.graph.paramNodes[0].attributes["init"], .symbol("fan_in_uniform"))
    }

    func testDenseOptions() throws {
        let h = Harness()
        let y = try h.layer("dense", ["f32[N, T, 64]"], ["units": .int(10), "bias": .bool(false),
                                                         "weight_init": .symbol("glorot_uniform")])
        XCTAssertEqual(y.map(\.type.description), ["f32[N, T, 10]"])
        XCTAssertEqual(h.params, ["dense.weight: f32[10, 64]"])
        XCTAssertEqual(h.builder.graph.paramNodes[0].attributes["init"], .symbol("glorot_uniform"))
        let h2 = Harness()
        _ = try h2.layer("dense", ["f32[N, 64]"], ["units": .int(10), "weight_init": .list([.symbol("normal"), .float(0), .float(0.02)])])
        XCTAssertEqual(h2.builder.graph.paramNodes[0].attributes["init"], Initializer.normal(mean: 0, std: 0.02).attribute)
    }

    func testDenseRejects() {
        assertRejects("dense", ["f32[N, K]"], ["units": .int(10)],
                      "'dense' needs a tensor whose last dimension (the input features) is known, found f32[N, K] whose last dimension is K",
                      operands: [0], layer: true)
        assertRejects("dense", ["f32[N, 4]"], ["units": .int(0)], "argument 'units' must be positive, found 0",
                      argument: "units", layer: true)
        assertRejects("dense", ["i64[N, 4]"], ["units": .int(3)],
                      "'dense' needs a floating-point tensor, found i64[N, 4]; convert it with cast()", operands: [0], layer: true)
        assertRejects("dense", ["f32[N, 4]"], ["units": .int(3), "weight_init": .symbol("glorot_unifrom")],
                      "argument 'weight_init' of 'dense': unknown initializer 'glorot_unifrom'; did you mean 'glorot_uniform'?",
                      argument: "weight_init", layer: true)
    }

    func testConv2d() throws {
        let h = Harness()
        let y = try h.layer("conv2d", ["f32[N, 1, 28, 28]"], ["filters": .int(6), "kernel": .int(5), "padding": .int(2)])
        XCTAssertEqual(y.map(\.type.description), ["f32[N, 6, 28, 28]"])
        XCTAssertEqual(h.params, ["conv2d.weight: f32[6, 1, 5, 5]", "conv2d.bias: f32[6]"])
        XCTAssertEqual(h.builder.graph.trainableParameterCount, 156)
        XCTAssertEqual(h.builder.graph.nodes.last?.op, "convolution")

        let g = Harness()
        let z = try g.layer("conv2d", ["f32[N, 4, 8, 8]"], ["filters": .int(8), "kernel": .list([.int(3), .int(1)]),
                                                            "groups": .int(2), "bias": .bool(false), "padding": .symbol("same")])
        XCTAssertEqual(z.map(\.type.description), ["f32[N, 8, 8, 8]"])
        XCTAssertEqual(g.params, ["conv2d.weight: f32[8, 2, 3, 1]"])
    }

    func testConv2dRejects() {
        assertRejects("conv2d", ["f32[N, 784]"], ["filters": .int(6), "kernel": .int(5)],
                      "'conv2d' expects a tensor of rank 4 [N, C, H, W], found f32[N, 784]", operands: [0], layer: true)
        assertRejects("conv2d", ["f32[N, 3, 28, 28]"], ["filters": .int(6), "kernel": .int(5), "groups": .int(2)],
                      "'conv2d' needs the input channels to be divisible by groups, but f32[N, 3, 28, 28] has 3 channels and groups is 2",
                      argument: "groups", layer: true)
        assertRejects("conv2d", ["f32[N, 4, 28, 28]"], ["filters": .int(6), "kernel": .int(5), "groups": .int(4)],
                      "'conv2d' needs filters to be divisible by groups, found filters 6 and groups 4", argument: "filters", layer: true)
        assertRejects("conv2d", ["f32[N, C, 28, 28]"], ["filters": .int(6), "kernel": .int(5)],
                      "'conv2d' needs a known channel count (dimension 1), found C in f32[N, C, 28, 28]", layer: true)
        assertRejects("conv2d", ["f32[N, 1, 3, 3]"], ["filters": .int(6), "kernel": .int(5)],
                      "the 5x5 kernel does not fit f32[N, 1, 3, 3] in 'conv2d': the padded height is 3 but the kernel spans 5",
                      layer: true)
        assertRejects("conv2d", ["f32[N, 1, 28, 28]"], ["filters": .int(6), "kernel": .int(5), "padding": .symbol("full")],
                      "argument 'padding' of 'conv2d' must be an integer, [h, w], [top, bottom, left, right], 'same' or 'valid', found full",
                      argument: "padding", layer: true)
    }

    func testConvTranspose2d() throws {
        let h = Harness()
        let y = try h.layer("conv_transpose2d", ["f32[N, 16, 7, 7]"],
                            ["filters": .int(8), "kernel": .int(4), "stride": .int(2), "padding": .int(1)])
        XCTAssertEqual(y.map(\.type.description), ["f32[N, 8, 14, 14]"])
        XCTAssertEqual(h.params, ["conv_transpose2d.weight: f32[16, 8, 4, 4]", "conv_transpose2d.bias: f32[8]"])
        XCTAssertEqual(h.builder.graph.paramNodes[1].attributes["init"], Initializer.uniform(low: -1 / 128.0.squareRoot(), high: 1 / 128.0.squareRoot()).attribute)
        assertRejects("conv_transpose2d", ["f32[N, 16, 7, 7]"], ["filters": .int(8), "kernel": .int(4), "padding": .symbol("same")],
                      "'conv_transpose2d' does not support padding 'same'; give the amounts", argument: "padding", layer: true)
    }

    func testBatchNormAndLayerNorm() throws {
        let h = Harness()
        let y = try h.layer("batchnorm", ["f32[N, 16, 8, 8]"])
        XCTAssertEqual(y.map(\.type.description), ["f32[N, 16, 8, 8]"])
        XCTAssertEqual(h.params, ["batchnorm.weight: f32[16]", "batchnorm.bias: f32[16]",
                                  "batchnorm.running_mean: f32[16]", "batchnorm.running_var: f32[16]"])
        XCTAssertEqual(h.builder.graph.trainableParameterCount, 32)
        XCTAssertEqual(h.builder.graph.paramNodes.map { $0.attributes["init"]! },
                       [.symbol("ones"), .symbol("zeros"), .symbol("zeros"), .symbol("ones")])
        assertRejects("batchnorm", ["f32[N, 16, 8]"], [:],
                      "'batchnorm' expects a tensor of rank 2 [N, C] or 4 [N, C, H, W], found f32[N, 16, 8]", operands: [0], layer: true)

        let l = Harness()
        XCTAssertEqual(try l.layer("layernorm", ["f32[N, T, 64]"]).map(\.type.description), ["f32[N, T, 64]"])
        XCTAssertEqual(l.params, ["layernorm.weight: f32[64]", "layernorm.bias: f32[64]"])
        assertRejects("layernorm", ["f32[N, D]"], [:], "'layernorm' needs a tensor whose last dimension is known, found f32[N, D]",
                      layer: true)
    }

    func testEmbedding() throws {
        let h = Harness()
        let y = try h.layer("embedding", ["i64[N, T]"], ["vocab": .int(1000), "dim": .int(64)])
        XCTAssertEqual(y.map(\.type.description), ["f32[N, T, 64]"])
        XCTAssertEqual(h.params, ["embedding.weight: f32[1000, 64]"])
        XCTAssertEqual(h.builder.graph.paramNodes[0].attributes["init"], Initializer.normal(mean: 0, std: 1).attribute)
        assertRejects("embedding", ["f32[N, T]"], ["vocab": .int(1000), "dim": .int(64)],
                      "'embedding' needs integer indices, found f32[N, T]; convert them with cast()", operands: [0], layer: true)
    }

    func testRecurrent() throws {
        let r = Harness()
        let ry = try r.layer("rnn", ["f32[N, 5, 8]"], ["hidden": .int(16)])
        XCTAssertEqual(ry.map(\.type.description), ["f32[N, 5, 16]", "f32[N, 16]"])
        XCTAssertEqual(r.params, ["rnn.weight_ih: f32[16, 8]", "rnn.weight_hh: f32[16, 16]", "rnn.bias_ih: f32[16]", "rnn.bias_hh: f32[16]"])

        let l = Harness()
        let ly = try l.layer("lstm", ["f32[N, 5, 8]"], ["hidden": .int(16)])
        XCTAssertEqual(ly.map(\.type.description), ["f32[N, 5, 16]", "f32[N, 16]", "f32[N, 16]"])
        XCTAssertEqual(l.params, ["lstm.weight_ih: f32[64, 8]", "lstm.weight_hh: f32[64, 16]", "lstm.bias_ih: f32[64]", "lstm.bias_hh: f32[64]"])
        XCTAssertEqual(l.builder.graph.trainableParameterCount, 4 * 16 * (8 + 16 + 2))
        XCTAssertEqual(l.builder.graph.paramNodes[0].attributes["init"], Initializer.uniform(low: -0.25, high: 0.25).attribute)
        // Unrolled into primitive ops only.
        let ops = Set(l.builder.graph.nodes.map(\.op))
        XCTAssertTrue(ops.isSubset(of: ["input", "param", "constant", "matmul", "add", "mul", "sigmoid", "tanh", "slice",
                                        "squeeze", "split", "broadcast_to", "stack"]), "\(ops)")

        let g = Harness()
        let gy = try g.layer("gru", ["f32[N, 5, 8]"], ["hidden": .int(16), "reverse": .bool(true), "bias": .bool(false)])
        XCTAssertEqual(gy.map(\.type.description), ["f32[N, 5, 16]", "f32[N, 16]"])
        XCTAssertEqual(g.params, ["gru.weight_ih: f32[48, 8]", "gru.weight_hh: f32[48, 16]"])
    }

    func testRecurrentReverseOrder() throws {
        // With reverse, the last hidden state comes from time step 0, and outputs stay in time order.
        let h = Harness()
        let outs = try h.layer("rnn", ["f32[N, 3, 2]"], ["hidden": .int(4), "reverse": .bool(true)])
        let graph = h.builder.graph
        let slices = graph.nodes(op: "slice").map { $0.attributes["start"]! }
        XCTAssertEqual(slices, [.int(2), .int(1), .int(0)])
        let stack = graph.producer(of: outs[0].id)
        XCTAssertEqual(stack.op, "stack")
        XCTAssertEqual(stack.inputs.first, outs[1].id)
    }

    func testRecurrentRejects() {
        assertRejects("lstm", ["f32[N, T, 8]"], ["hidden": .int(16)],
                      "'lstm' needs a known sequence length (dimension 1), found T in f32[N, T, 8]", operands: [0], layer: true)
        assertRejects("gru", ["f32[N, 8]"], ["hidden": .int(16)],
                      "'gru' expects a tensor of rank 3 [N, T, F], found f32[N, 8]", operands: [0], layer: true)
        assertRejects("rnn", ["f32[N, 5, 8]"], ["hidden": .int(16), "nonlinearity": .symbol("gelu")],
                      "argument 'nonlinearity' of 'rnn' must be tanh or relu, found gelu", argument: "nonlinearity", layer: true)
        assertRejects("rnn", ["f32[N, 5, 8]"], ["hidden": .int(0)], "argument 'hidden' must be positive, found 0",
                      argument: "hidden", layer: true)
    }

    func testEveryOpAndLayerIsRegistered() throws {
        let r = Registry()
        try r.install(builtinPlugin)
        // 86 forward ops, dropout_mask, the backward ops of the gradient rules, and the training
        // step's batch_norm_training with its batch_norm_backward.
        XCTAssertEqual(r.ops.count, 94)
        XCTAssertEqual(Set(r.layers.keys), ["dense", "conv2d", "conv_transpose2d", "batchnorm", "layernorm", "embedding",
                                            "rnn", "lstm", "gru", "dropout"])
        XCTAssertTrue(r.isImplicit("builtin"))
        for (name, op) in r.ops { XCTAssertFalse(op.summary.isEmpty, name) }
    }
}
