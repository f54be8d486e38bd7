// Hand-computed cases: convolution, pooling, normalization, losses, random ops and dropout.
import DLCCore
@testable import DLCReference
import XCTest

final class LayerOpTests: XCTestCase {
    func testConvolutionByHand() throws {
        // 3×3 input 1..9, 2×2 ones kernel, bias 1: window sums + 1.
        let x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = f32([1, 1, 2, 2], [1, 1, 1, 1])
        XCTAssertEqual(try run1("convolution", [x, w, f32([1], [1])]), f32([1, 1, 2, 2], [13, 17, 25, 29]))
        // padding 1, stride 2 → 2×2: corners of the padded sums.
        XCTAssertEqual(try run1("convolution", [x, w], ["padding": .int(1), "stride": .int(2)]),
                       f32([1, 1, 2, 2], [1, 5, 11, 28]))
        // same with a 2×2 kernel pads bottom/right: output 3×3.
        XCTAssertEqual(try run1("convolution", [x, w], ["padding": .symbol("same")]),
                       f32([1, 1, 3, 3], [12, 16, 9, 24, 28, 15, 15, 17, 9]))
    }

    func testConvTransposeByHand() throws {
        // 2×2 input, 2×2 ones kernel, stride 2: each input pixel becomes a 2×2 block.
        let x = f32([1, 1, 2, 2], [1, 2, 3, 4])
        let w = f32([1, 1, 2, 2], [1, 1, 1, 1])
        XCTAssertEqual(try run1("conv_transpose", [x, w], ["stride": .int(2)]),
                       f32([1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]))
        // output_padding 1 adds a zero row and column (plus the bias).
        XCTAssertEqual(try run1("conv_transpose", [x, w, f32([1], [0.5])], ["stride": .int(2), "output_padding": .int(1)]),
                       f32([1, 1, 5, 5], [1.5, 1.5, 2.5, 2.5, 0.5, 1.5, 1.5, 2.5, 2.5, 0.5, 3.5, 3.5, 4.5, 4.5, 0.5,
                                          3.5, 3.5, 4.5, 4.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]))
        // stride 1: overlapping sums.
        XCTAssertEqual(try run1("conv_transpose", [x, w]), f32([1, 1, 3, 3], [1, 3, 2, 4, 10, 6, 3, 7, 4]))
    }

    /// conv_transpose is the adjoint of convolution: <conv(x, w), y> = <x, conv_transpose(y, w)>,
    /// for strides, padding, dilation and groups.
    func testConvTransposeIsTheAdjointOfConvolution() throws {
        var rng = RandomSource(seed: 11)
        func rand(_ shape: [Int]) -> HostTensor { f64(shape, (0..<shape.reduce(1, *)).map { _ in rng.nextDouble() - 0.5 }) }
        let configs: [Attributes] = [
            ["stride": .int(2), "padding": .int(1)],
            ["stride": .list([1, 2].map(StaticValue.int)), "padding": .list([0, 1, 2, 1].map(StaticValue.int)), "dilation": .int(2)],
            ["groups": .int(2), "stride": .int(3)],
        ]
        for attrs in configs {
            let x = rand([2, 4, 7, 8]), w = rand([6, (attrs["groups"] == .int(2) ? 2 : 4), 3, 3])
            let y0 = try run1("convolution", [x, w], attrs)
            let y = rand(y0.shape)
            var tAttrs = attrs
            // The transposed op's output size must match x: recover the lost remainder with output_padding.
            let stride = try intsAttr(Arguments(statics: attrs.merging(["stride": attrs["stride"] ?? .int(1)]) { a, _ in a }), "stride", count: 2)
            let probe = try run1("conv_transpose", [y, w], attrs)
            let extra = [x.shape[2] - probe.shape[2], x.shape[3] - probe.shape[3]]
            XCTAssertTrue(extra.allSatisfy { $0 >= 0 } && extra[0] < stride[0] + 1, "\(attrs)")
            tAttrs["output_padding"] = .list(extra.map(StaticValue.int))
            let xt = try run1("conv_transpose", [y, w], tAttrs)
            XCTAssertEqual(xt.shape, x.shape)
            let lhs = zip(y0.doubles, y.doubles).reduce(0) { $0 + $1.0 * $1.1 }
            let rhs = zip(x.doubles, xt.doubles).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-10, "\(attrs)")
        }
    }

    func testPoolingByHand() throws {
        let x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(try run1("maxpool2d", [x], ["kernel": .int(2), "stride": .int(1)]), f32([1, 1, 2, 2], [5, 6, 8, 9]))
        XCTAssertEqual(try run1("maxpool2d", [x], ["kernel": .int(2), "ceil_mode": .bool(true)]), f32([1, 1, 2, 2], [5, 6, 8, 9]))
        // avgpool 2×2 stride 2 padding 1: padded zeros count (divisor 4) → [1/4, 5/4, 11/4, 28/4].
        XCTAssertEqual(try run1("avgpool2d", [x], ["kernel": .int(2), "padding": .int(1)]), f32([1, 1, 2, 2], [0.25, 1.25, 2.75, 7]))
        // ceil_mode without padding: the partial windows divide by the elements they cover.
        XCTAssertEqual(try run1("avgpool2d", [x], ["kernel": .int(2), "ceil_mode": .bool(true)]), f32([1, 1, 2, 2], [3, 4.5, 7.5, 9]))
        XCTAssertEqual(try run1("global_avgpool", [x]), f32([1, 1, 1, 1], [5]))
        XCTAssertEqual(try run1("maxpool2d", [i32([1, 1, 2, 2], [3, -1, 7, 2])], ["kernel": .int(2)]), i32([1, 1, 1, 1], [7]))
    }

    func testNormalizationByHand() throws {
        // batch_norm, training: channel values {1, 3} → mean 2, var 1 → ±1/√(1+eps).
        let x = f64([2, 1], [1, 3])
        let one = f64([1], [1]), zero = f64([1], [0])
        let s = 1 / (1 + 1e-5).squareRoot()
        assertClose(try run1("batch_norm", [x, one, zero, zero, one]), [2, 1], [-s, s], tol: 1e-15)
        // Inference uses the running statistics: (x - 1) / √(4 + eps) · 2 + 0.5.
        let y = try run1("batch_norm", [x, f64([1], [2]), f64([1], [0.5]), f64([1], [1]), f64([1], [4])], training: false)
        let d = (4 + 1e-5).squareRoot()
        assertClose(y, [2, 1], [0.5, 2 / d * 2 + 0.5], tol: 1e-15)
        assertClose(try run1("layer_norm", [f64([1, 2], [1, 3])]), [1, 2], [-s, s], tol: 1e-15)
        assertClose(try run1("softmax", [f64([2], [0, log(3)])]), [2], [0.25, 0.75], tol: 1e-15)
        assertClose(try run1("log_softmax", [f64([2], [0, log(3)])]), [2], [log(0.25), log(0.75)], tol: 1e-15)
        // LRN with size 1: x / (k + alpha·x²)^beta.
        assertClose(try run1("local_response_norm", [f64([1, 1, 1], [2])], ["size": .int(1), "alpha": .float(1), "beta": .float(1), "k": .float(1)]),
                    [1, 1, 1], [0.4], tol: 1e-15)
    }

    func testLossesByHand() throws {
        assertClose(try run1("mse", [f64([2], [1, 2]), f64([2], [3, 2])]), [], [2])
        assertClose(try run1("mae", [f64([2], [1, 2]), f64([2], [3, 1])]), [], [1.5])
        assertClose(try run1("cross_entropy", [f64([1, 2], [0, 0]), i64([1], [1])]), [], [log(2)], tol: 1e-15)
        assertClose(try run1("cross_entropy", [f64([1, 2], [0, 0]), f64([1, 2], [0.5, 0.5])]), [], [log(2)], tol: 1e-15)
        assertClose(try run1("bce_with_logits", [f64([1], [0]), f64([1], [1])]), [], [log(2)], tol: 1e-15)
        assertClose(try run1("bce_with_logits", [f64([1], [1000]), f64([1], [0])]), [], [1000])   // stable
        assertClose(try run1("binary_cross_entropy", [f64([1], [0.5]), f64([1], [1])]), [], [log(2)], tol: 1e-15)
        assertClose(try run1("binary_cross_entropy", [f64([1], [0]), f64([1], [1])]), [], [100])  // log clamped at -100
        assertClose(try run1("kl_div", [f64([2], [log(0.5), log(0.5)]), f64([2], [1, 0])]), [], [log(2) / 2], tol: 1e-15)
        assertClose(try run1("gaussian_kl", [f64([2, 1], [0, 2]), f64([2, 1], [0, 0])]), [], [1])
        assertClose(try run1("l1_penalty", [f64([2], [-1, 2])]), [], [3])
        assertClose(try run1("l2_penalty", [f64([2], [-1, 2])]), [], [5])
    }

    func testRandomOps() throws {
        let shape: StaticValue = .list([.int(100), .int(100)])
        let u = try run1("random_uniform", [], ["shape": shape, "low": .float(2), "high": .float(4)], seed: 5)
        XCTAssertEqual(u.shape, [100, 100])
        XCTAssertTrue(u.doubles.allSatisfy { $0 >= 2 && $0 < 4 })
        XCTAssertEqual(u.doubles.reduce(0, +) / 10_000, 3, accuracy: 0.03)
        XCTAssertEqual(try run1("random_uniform", [], ["shape": shape], seed: 5),
                       try run1("random_uniform", [], ["shape": shape], seed: 5))
        XCTAssertNotEqual(try run1("random_uniform", [], ["shape": shape], seed: 5),
                          try run1("random_uniform", [], ["shape": shape], seed: 6))
        let n = try run1("random_normal", [], ["shape": shape, "mean": .float(1), "std": .float(2), "dtype": .dtype(.f64)], seed: 1)
        let mean = n.doubles.reduce(0, +) / 10_000
        let variance = n.doubles.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 10_000
        XCTAssertEqual(mean, 1, accuracy: 0.08)
        XCTAssertEqual(variance, 4, accuracy: 0.25)
        let b = try run1("bernoulli", [f32([3, 1000], Array(repeating: 0, count: 1000) + Array(repeating: 1, count: 1000)
                                          + Array(repeating: 0.3, count: 1000))])
        let v = b.doubles
        XCTAssertEqual(v[0..<1000].reduce(0, +), 0)
        XCTAssertEqual(v[1000..<2000].reduce(0, +), 1000)
        XCTAssertEqual(v[2000...].reduce(0, +) / 1000, 0.3, accuracy: 0.05)
    }

    func testDropout() throws {
        let x = f64([10_000], Array(repeating: 2, count: 10_000))
        let y = try run1("dropout", [x], ["rate": .float(0.25)], seed: 9)
        XCTAssertTrue(y.doubles.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-12 })
        let kept = Double(y.doubles.filter { $0 != 0 }.count) / 10_000
        XCTAssertEqual(kept, 0.75, accuracy: 0.02)
        XCTAssertEqual(try run1("dropout", [x], ["rate": .float(0.25)], seed: 9), y)   // seeded
        XCTAssertEqual(try run1("dropout", [x], ["rate": .float(0.25)], training: false), x)
    }
}
