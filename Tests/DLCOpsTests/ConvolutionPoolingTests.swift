import DLCCore
import DLCOps
import XCTest

final class ConvolutionTests: XCTestCase {
    func testAccepts() {
        assertInfers("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]", "f32[6]"], ["padding": .int(2)], ["f32[N, 6, 28, 28]"])
        assertInfers("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]"], ["padding": .symbol("valid")], ["f32[N, 6, 24, 24]"])
        assertInfers("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]"], ["padding": .string("same")], ["f32[N, 6, 28, 28]"])
        assertInfers("convolution", ["f32[N, 3, 32, 32]", "f32[16, 3, 3, 3]"], ["padding": .symbol("same"), "stride": .int(2)],
                     ["f32[N, 16, 16, 16]"])
        assertInfers("convolution", ["f32[N, 3, 28, 28]", "f32[8, 3, 3, 3]"], ["padding": .list([.int(1), .int(0), .int(1), .int(0)])],
                     ["f32[N, 8, 27, 27]"])
        assertInfers("convolution", ["f32[N, 3, 28, 20]", "f32[8, 3, 3, 1]"], ["padding": .list([.int(1), .int(0)]),
                                                                               "stride": .list([.int(1), .int(2)])],
                     ["f32[N, 8, 28, 10]"])
        assertInfers("convolution", ["f32[N, 4, 8, 8]", "f32[8, 2, 3, 3]"], ["groups": .int(2)], ["f32[N, 8, 6, 6]"])
        assertInfers("convolution", ["f32[N, 1, 28, 28]", "f32[4, 1, 3, 3]"], ["dilation": .int(2)], ["f32[N, 4, 24, 24]"])
    }

    func testRejects() {
        assertRejects("convolution", ["f32[N, 3, 32, 32]", "f32[16, 1, 3, 3]"], [:],
                      "cannot convolve f32[N, 3, 32, 32] with the weight f32[16, 1, 3, 3] in 'convolution': the weight takes 1 input channel (1 per group × 1 group) but the input has 3",
                      operands: [0, 1])
        assertRejects("convolution", ["f32[N, 784]", "f32[16, 1, 3, 3]"], [:],
                      "'convolution' expects a tensor of rank 4 [N, C, H, W], found f32[N, 784]", operands: [0])
        assertRejects("convolution", ["f32[N, 1, 28, 28]", "f32[16, 3, 3]"], [:],
                      "'convolution' expects a weight of rank 4 [Cout, Cin/groups, kh, kw], found f32[16, 3, 3]", operands: [1])
        assertRejects("convolution", ["i32[N, 1, 28, 28]", "i32[16, 1, 3, 3]"], [:],
                      "'convolution' needs a floating-point tensor, found i32[N, 1, 28, 28]", operands: [0])
        assertRejects("convolution", ["f32[N, C, 28, 28]", "f32[16, 1, 3, 3]"], [:],
                      "'convolution' needs a known channel count (dimension 1), found C in f32[N, C, 28, 28]", operands: [0])
        assertRejects("convolution", ["f32[N, 3, H, W]", "f32[16, 3, 3, 3]"], [:],
                      "'convolution' needs known spatial sizes (dimensions 2 and 3), found f32[N, 3, H, W]", operands: [0])
        assertRejects("convolution", ["f32[N, 1, 3, 3]", "f32[6, 1, 5, 5]"], [:],
                      "the 5x5 kernel does not fit f32[N, 1, 3, 3] in 'convolution': the padded height is 3 but the kernel spans 5",
                      operands: [0, 1])
        assertRejects("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]", "f32[8]"], [:],
                      "'convolution' needs a bias of type f32[6] for the weight f32[6, 1, 5, 5], found f32[8]", operands: [2])
        assertRejects("convolution", ["f32[N, 3, 28, 28]", "f32[6, 1, 5, 5]"], ["groups": .int(2)],
                      "'convolution' needs the input channels to be divisible by groups, but f32[N, 3, 28, 28] has 3 channels and groups is 2",
                      operands: [0], argument: "groups")
        assertRejects("convolution", ["f32[N, 4, 28, 28]", "f32[6, 1, 5, 5]"], ["groups": .int(4)],
                      "'convolution' needs the output channels to be divisible by groups, but the weight f32[6, 1, 5, 5] has 6 and groups is 4",
                      argument: "groups")
        assertRejects("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]"], ["padding": .symbol("full")],
                      "argument 'padding' of 'convolution' must be an integer, [h, w], [top, bottom, left, right], 'same' or 'valid', found full",
                      argument: "padding")
        assertRejects("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]"], ["padding": .int(-1)],
                      "argument 'padding' of 'convolution' must not be negative, found -1", argument: "padding")
        assertRejects("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]"], ["stride": .int(0)],
                      "argument 'stride' must be at least 1, found 0", argument: "stride")
    }

    func testChannelMismatchWithGroups() {
        assertRejects("convolution", ["f32[N, 6, 8, 8]", "f32[8, 2, 3, 3]"], ["groups": .int(2)],
                      "cannot convolve f32[N, 6, 8, 8] with the weight f32[8, 2, 3, 3] in 'convolution': the weight takes 4 input channels (2 per group × 2 groups) but the input has 6")
    }

    func testConvTranspose() {
        assertInfers("conv_transpose", ["f32[N, 16, 7, 7]", "f32[16, 8, 4, 4]", "f32[8]"], ["stride": .int(2), "padding": .int(1)],
                     ["f32[N, 8, 14, 14]"])
        assertInfers("conv_transpose", ["f32[N, 16, 7, 7]", "f32[16, 4, 3, 3]"],
                     ["stride": .int(2), "padding": .int(1), "output_padding": .int(1), "groups": .int(2)], ["f32[N, 8, 14, 14]"])
        assertRejects("conv_transpose", ["f32[N, 8, 7, 7]", "f32[16, 8, 4, 4]"], [:],
                      "cannot apply the transposed convolution weight f32[16, 8, 4, 4] to f32[N, 8, 7, 7] in 'conv_transpose': the weight takes 16 input channels (dimension 0) but the input has 8",
                      operands: [0, 1])
        assertRejects("conv_transpose", ["f32[N, 16, 7, 7]", "f32[16, 8, 4, 4]"], ["output_padding": .int(1)],
                      "'conv_transpose' needs output_padding smaller than the stride or the dilation, found 1 with stride 1 and dilation 1",
                      argument: "output_padding")
        assertRejects("conv_transpose", ["f32[N, 16, 7, 7]", "f32[16, 8, 4, 4]"], ["padding": .symbol("same")],
                      "'conv_transpose' does not support padding 'same'; give the amounts", argument: "padding")
        assertRejects("conv_transpose", ["f32[N, 16, 1, 1]", "f32[16, 8, 1, 1]"], ["padding": .int(1)],
                      "'conv_transpose' of f32[N, 16, 1, 1] with the weight f32[16, 8, 1, 1] has no output: padding 2 removes more than the 1 pixels of the height",
                      argument: "padding")
    }

    func testFlops() throws {
        XCTAssertEqual(try flops("convolution", ["f32[N, 1, 28, 28]", "f32[6, 1, 5, 5]", "f32[6]"], ["padding": .int(2)]),
                       2 * 6 * 28 * 28 * 1 * 5 * 5)
        XCTAssertEqual(try flops("convolution", ["f32[2, 4, 8, 8]", "f32[8, 2, 3, 3]"], ["groups": .int(2)]),
                       2 * 8 * 6 * 6 * 2 * 3 * 3 * 2)
        XCTAssertEqual(try flops("conv_transpose", ["f32[1, 16, 7, 7]", "f32[16, 8, 4, 4]"], ["stride": .int(2), "padding": .int(1)]),
                       2 * 16 * 7 * 7 * 8 * 4 * 4)
    }
}

final class PoolingTests: XCTestCase {
    func testAccepts() {
        assertInfers("maxpool2d", ["f32[N, 6, 28, 28]"], ["kernel": .int(2)], ["f32[N, 6, 14, 14]"])
        assertInfers("avgpool2d", ["f32[N, 6, 28, 28]"], ["kernel": .int(2), "stride": .int(2)], ["f32[N, 6, 14, 14]"])
        assertInfers("maxpool2d", ["f32[N, 64, 112, 112]"], ["kernel": .int(3), "stride": .int(2), "padding": .int(1)],
                     ["f32[N, 64, 56, 56]"])
        assertInfers("maxpool2d", ["f32[N, 1, 5, 5]"], ["kernel": .int(2), "ceil_mode": .bool(true)], ["f32[N, 1, 3, 3]"])
        assertInfers("maxpool2d", ["f32[N, 1, 5, 5]"], ["kernel": .int(2)], ["f32[N, 1, 2, 2]"])
        assertInfers("maxpool2d", ["f32[N, 1, 8, 6]"], ["kernel": .list([.int(2), .int(3)])], ["f32[N, 1, 4, 2]"])
        assertInfers("global_avgpool", ["f32[N, 512, 7, 7]"], [:], ["f32[N, 512, 1, 1]"])
    }

    func testRejects() {
        assertRejects("maxpool2d", ["f32[N, 6, 1, 1]"], ["kernel": .int(2)],
                      "the 2x2 pooling window does not fit f32[N, 6, 1, 1] in 'maxpool2d': the padded height is 1 but the pooling window spans 2",
                      argument: "kernel")
        assertRejects("maxpool2d", ["f32[N, 6, 28, 28]"], ["kernel": .int(2), "padding": .int(2)],
                      "'maxpool2d' needs padding of at most half the window, found padding 2 for a window of 2", argument: "padding")
        assertRejects("avgpool2d", ["i32[N, 6, 28, 28]"], ["kernel": .int(2)],
                      "'avgpool2d' needs a floating-point tensor, found i32[N, 6, 28, 28]", operands: [0])
        assertRejects("maxpool2d", ["f32[N, 784]"], ["kernel": .int(2)],
                      "'maxpool2d' expects a tensor of rank 4 [N, C, H, W], found f32[N, 784]", operands: [0])
        assertRejects("maxpool2d", ["f32[N, 6, 28, 28]"], ["kernel": .list([.int(2), .int(2), .int(2)])],
                      "argument 'kernel' must be an integer or a list of 2 integers, found [2, 2, 2]", argument: "kernel")
        assertRejects("global_avgpool", ["f32[N, 512]"], [:],
                      "'global_avgpool' expects a tensor of rank 4 [N, C, H, W], found f32[N, 512]", operands: [0])
    }

    func testFlops() throws {
        XCTAssertEqual(try flops("maxpool2d", ["f32[1, 6, 28, 28]"], ["kernel": .int(2)]), 6 * 14 * 14 * 4)
        XCTAssertEqual(try flops("global_avgpool", ["f32[1, 8, 7, 7]"]), 8 * 49)
    }
}
