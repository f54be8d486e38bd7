// The single-precision activations of the C kernels (kernel_math.h: exp, erf and tanh
// without branches, so their loops vectorize) against double-precision libm, through the
// public kernels that use them: dlc_unary's exp, tanh, sigmoid, elu and gelu (both forms),
// dlc_gelu_backward, and dlc_softmax. And ReLU of NaN, NaN in all three of its kernels.
import CKernels
import Foundation
import XCTest

final class KernelMathTests: XCTestCase {
    /// Every float from -30 to 30 in steps of 2^-10, then values where the approximations
    /// switch branches or saturate.
    let grid: [Float] = (-30 * 1024...30 * 1024).map { Float($0) / 1024 }
        + [1e-30, -1e-30, 3e-4, 4e-4, -4e-4, 3.99, 4.01, 7.9, 7.91, -7.91, 80, 88.7, -87.3, -95, -103]

    /// dlc_unary of op `code` over `xs` in f32.
    func unary(_ code: Int32, _ xs: [Float], alpha: Double = 0) -> [Float] {
        var y = [Float](repeating: .nan, count: xs.count)
        let rc = xs.withUnsafeBytes { x in y.withUnsafeMutableBytes { dlc_unary(0, code, Int64(xs.count), x.baseAddress, $0.baseAddress, alpha, 0) } }
        XCTAssertEqual(rc, 0)
        return y
    }

    /// The largest error of `got` against `exact`, relative to max(|exact|, floor).
    func worst(_ xs: [Float], _ got: [Float], _ exact: (Double) -> Double, floor: Double) -> (error: Double, at: Float) {
        var worst = (error: 0.0, at: Float(0))
        for (x, y) in zip(xs, got) {
            let e = exact(Double(x))
            if abs(e) > Double(Float.greatestFiniteMagnitude) { continue }  // overflows float: checked apart
            let err = abs(Double(y) - e) / max(abs(e), floor)
            if !(err <= worst.error) { worst = (err, x) }
        }
        return worst
    }

    func testExpIsWithinOneUlpAndSaturatesLikeLibm() {
        let xs = grid + [-150, 88.72, 88.73, 200]
        let got = unary(2, xs)
        let (error, at) = worst(xs, got, { Foundation.exp($0) }, floor: Double(Float.leastNormalMagnitude))
        XCTAssertLessThan(error, 1.2e-7, "exp(\(at))")  // one ulp of float is 6e-8 to 1.2e-7 relative
        XCTAssertEqual(unary(2, [.infinity, -.infinity, 89, 200, -200]), [.infinity, 0, .infinity, .infinity, 0])
        XCTAssertTrue(unary(2, [.nan])[0].isNaN)
        let subnormal = unary(2, [-100])[0]  // e^-100 = 3.7e-44, a subnormal float
        XCTAssertEqual(Double(subnormal), Foundation.exp(-100), accuracy: 2e-45)
    }

    func testTanhSigmoidAndEluAreCloseToLibm() {
        XCTAssertLessThan(worst(grid, unary(10, grid), { Foundation.tanh($0) }, floor: 1).error, 5e-7)
        XCTAssertLessThan(worst(grid, unary(11, grid), { 1 / (1 + Foundation.exp(-$0)) }, floor: 1e-30).error, 5e-7)
        XCTAssertLessThan(worst(grid, unary(21, grid, alpha: 0.5), { $0 > 0 ? $0 : 0.5 * (Foundation.exp($0) - 1) }, floor: 1).error, 3e-7)
        XCTAssertEqual(unary(10, [.infinity, -.infinity, 1e-30]), [1, -1, 1e-30])
        XCTAssertEqual(unary(11, [.infinity, -.infinity]), [1, 0])
        XCTAssertTrue(unary(10, [.nan])[0].isNaN)
    }

    func testGeluBothFormsAndItsGradientAreCloseToLibm() {
        let erf = { (x: Double) in 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }
        let tanhForm = { (x: Double) in 0.5 * x * (1 + Foundation.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))) }
        XCTAssertLessThan(worst(grid, unary(13, grid), erf, floor: 1).error, 1e-6)
        XCTAssertLessThan(worst(grid, unary(13, grid, alpha: 1), tanhForm, floor: 1).error, 1e-6)
        XCTAssertTrue(unary(13, [.nan])[0].isNaN)
        XCTAssertEqual(unary(13, [.infinity, 1e30])[0], .infinity)

        let ones = [Float](repeating: 1, count: grid.count)
        for approximate in [Int32(0), 1] {
            var y = [Float](repeating: .nan, count: grid.count)
            let rc = grid.withUnsafeBytes { x in ones.withUnsafeBytes { g in y.withUnsafeMutableBytes {
                dlc_gelu_backward(0, approximate, Int64(grid.count), x.baseAddress, g.baseAddress, $0.baseAddress) } } }
            XCTAssertEqual(rc, 0)
            // The derivative by central differences of the double-precision function.
            let f = approximate == 1 ? tanhForm : erf
            XCTAssertLessThan(worst(grid, y, { (f($0 + 1e-6) - f($0 - 1e-6)) / 2e-6 }, floor: 1).error, 1e-5,
                              "gelu' (approximate: \(approximate))")
        }
    }

    func testSoftmaxRowsSumToOneAndMatchDoublePrecision() {
        let rows = 64, n = 33
        let xs = (0..<rows * n).map { Float(sin(Double($0) * 0.7) * Double($0 % 13)) }
        var y = [Float](repeating: .nan, count: xs.count)
        let rc = xs.withUnsafeBytes { x in y.withUnsafeMutableBytes { dlc_softmax(0, 0, Int64(rows), Int64(n), 1, x.baseAddress, $0.baseAddress) } }
        XCTAssertEqual(rc, 0)
        for r in 0..<rows {
            let row = xs[r * n..<(r + 1) * n].map(Double.init), m = row.max()!
            let s = row.reduce(0) { $0 + Foundation.exp($1 - m) }
            for j in 0..<n { XCTAssertEqual(Double(y[r * n + j]), Foundation.exp(row[j] - m) / s, accuracy: 2e-7) }
        }
    }

    /// ReLU keeps NaN (as the reference and PyTorch do, and oneDNN's post-op in a fused
    /// convolution) in the unfused kernel, the fused program and the matmul epilogue alike.
    func testReluKeepsNaNInEveryKernel() {
        let xs: [Float] = [.nan, -1, 2, -.infinity, .infinity, -0.0]
        let expected: [Float] = [.nan, 0, 2, 0, .infinity, 0]
        func same(_ got: [Float], _ what: String) {
            XCTAssertEqual(got.map { $0.isNaN ? "nan" : "\($0)" }, expected.map { $0.isNaN ? "nan" : "\($0)" }, what)
        }
        same(unary(12, xs), "dlc_unary")

        var fused = [Float](repeating: 0, count: xs.count)
        var scratch = [Double](repeating: 0, count: 2 * Int(DLC_FUSED_TILE))
        let rc = xs.withUnsafeBytes { x in fused.withUnsafeMutableBytes { y in scratch.withUnsafeMutableBytes { s -> Int32 in
            let ins: [UnsafeRawPointer?] = [x.baseAddress], outs: [UnsafeMutableRawPointer?] = [y.baseAddress]
            return dlc_fused(0, 1, [Int64(xs.count)], 1, [1], ins, 0, nil, 1, [0, 12, 1, 0, -1, -1], [0, 0], 1, [Int64(1)], outs, s.baseAddress)
        } } }
        XCTAssertEqual(rc, 0)
        same(fused, "dlc_fused")

        var rows = xs
        XCTAssertEqual(dlc_matmul_epilogue(1, Int64(xs.count), &rows, 1, [3, 0], [nil], [0]), 0)
        same(rows, "dlc_matmul_epilogue")
    }
}
