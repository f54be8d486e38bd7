// Every kernel against the reference interpreter on small graphs (f32, 1e-5 relative).
import DLCCore
import DLCCPU
import XCTest

final class OpParityTests: XCTestCase {
    /// Checks one model body: `inputs` declarations then `output y = <expr>` lines.
    func check(_ decls: String, _ body: String, positive: Bool = false, tolerance: Double = 1e-5,
               file: StaticString = #filePath, line: UInt = #line) {
        let src = "model T {\n\(decls)\n\(body)\n}\n"
        do {
            let g = try CPUTest.graph(src)
            let (cpu, ref) = try CPUTest.both(g, bindings: ["N": 3], positive: positive)
            CPUTest.assertClose(cpu, ref, tolerance: tolerance, body, file: file, line: line)
        } catch {
            XCTFail("\(body): \(error)", file: file, line: line)
        }
    }

    func testUnary() {
        for op in ["neg", "abs", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "gelu", "softplus", "sign", "floor",
                   "ceil", "round", "square", "leaky_relu", "elu"] {
            check("input x: f32[N, 5]", "output y = \(op)(x)")
        }
        for op in ["log", "sqrt", "rsqrt", "reciprocal"] { check("input x: f32[N, 5]", "output y = \(op)(x)", positive: true) }
        check("input x: f32[N, 5]", "output y = gelu(x, approximate: true)")
        check("input x: f32[N, 5]", "output y = clip(x, min: -0.5, max: 0.25)")
    }

    func testBinaryBroadcastingAndComparisons() {
        for op in ["add", "sub", "mul", "div", "maximum", "minimum", "equal", "less", "greater_equal"] {
            check("input a: f32[N, 4, 5]\n input b: f32[4, 1]", "output y = \(op)(a, b)")
            check("input a: f32[1, 5]\n input b: f32[N, 1]", "output y = \(op)(a, b)")
        }
        check("input a: f32[N, 5]\n input b: f32[N, 5]", "output y = pow(a, b)", positive: true)
        check("input a: f32[N, 5]\n input b: f32[N, 5]", "output y = where(a > b, a, b * 2.0)")
    }

    func testReductionsAndSoftmax() {
        for op in ["sum", "mean", "max", "min", "prod"] {
            check("input x: f32[N, 4, 5]", "output y = \(op)(x)")
            check("input x: f32[N, 4, 5]", "output y = \(op)(x, axes: [0, 2], keepdims: true)")
            check("input x: f32[N, 4, 5]", "output y = \(op)(x, axes: 1)")
        }
        // Leading axes of a contiguous block of 8 or more (bias gradients): whole rows at a time.
        for op in ["sum", "mean"] {
            check("input x: f32[N, 3, 12]", "output y = \(op)(x, axes: [0, 1])")
            check("input x: f32[N, 3, 12]", "output y = \(op)(x, axes: [0], keepdims: true)")
            check("input x: f64[N, 2, 9]", "output y = \(op)(x, axes: [0, 1], keepdims: true)")
        }
        check("input x: f32[N, 4, 5]", "output y = argmax(x, axis: 1)")
        check("input x: f32[N, 4, 5]", "output y = argmin(x)")
        check("input x: f32[N, 4, 5]", "output y = softmax(x, axis: 1)")
        check("input x: f32[N, 4, 5]", "output y = log_softmax(x)")
    }

    func testDataMovement() {
        check("input x: f32[N, 4, 5]", "output y = transpose(x, perm: [2, 0, 1])")
        check("input x: f32[N, 4, 5]", "output y = reshape(x, [N, 20]) |> relu")
        check("input x: f32[N, 4, 5]", "output y = slice(x, axis: 2, start: 1, end: 5, step: 2)")
        check("input x: f32[N, 4, 5]", "output y = slice(x, axis: 1, start: -1, end: -5, step: -1)")
        check("input a: f32[N, 4]\n input b: f32[N, 2]", "output y = concat([a, b], axis: 1)")
        check("input a: f32[N, 4]\n input b: f32[N, 4]", "output y = stack([a, b], axis: 1)")
        check("input x: f32[N, 6]", "p = split(x, sections: [2, 4], axis: 1)\n output y = p[1]")
        check("input x: f32[N, 4]", "output y = pad(x, pads: [1, 2], value: 0.5)")
        check("input x: f32[N, 4]", "output y = broadcast_to(expand_dims(x, axis: 1), [N, 3, 4])")
        check("input x: f32[10, 4]\n input i: i32[N]", "output y = gather(x, i, axis: 0)")
        check("input i: i64[N]", "output y = one_hot(i, depth: 10)")
        check("input x: f32[N, 4]", "output y = cast(x * 5.0, i32)")
    }

    func testNormalizationAndLosses() {
        check("input x: f32[N, 3, 4, 4]\n input w: f32[3]\n input b: f32[3]\n input m: f32[3]\n input v: f32[3]",
              "output y = batch_norm(x, w, b, m, abs(v) + 0.5)")
        // The training step's batch norm (oneDNN) and its gradient, every result.
        check("input x: f32[N, 3, 4, 4]\n input w: f32[3]\n input b: f32[3]",
              "r = batch_norm_training(x, w, b)\n output y = r[0]\n output m = r[1]\n output v = r[2]")
        check("input x: f32[N, 5]\n input w: f32[5]\n input b: f32[5]",
              "r = batch_norm_training(x, w, b, eps: 0.001)\n output y = r[0]\n output v = r[2]")
        check("input x: f32[N, 3, 4, 4]\n input w: f32[3]\n input m: f32[3]\n input v: f32[3]\n input g: f32[N, 3, 4, 4]",
              "r = batch_norm_backward(x, w, m, abs(v) + 0.5, g)\n output dx = r[0]\n output dw = r[1]\n output db = r[2]")
        check("input x: f32[N, 6]\n input w: f32[6]\n input b: f32[6]", "output y = layer_norm(x, w, b)")
        check("input x: f32[N, 6, 3]", "output y = local_response_norm(x, size: 3)")
        check("input x: f32[N, 3, 4, 4]", "output y = global_avgpool(x)")
        check("input x: f32[N, 10]\n input l: i32[N]", "loss y = cross_entropy(x, l)")
        check("input x: f32[N, 10]\n input p: f32[N, 10]", "loss y = cross_entropy(x, softmax(p))")
        check("input x: f32[N, 10]\n input l: i32[N]", "loss y = nll_loss(x, l)")
        check("input x: f64[N, 10]\n input l: i64[N]", "loss y = nll_loss(log_softmax(x), l)")
        for op in ["mse", "mae", "bce_with_logits", "gaussian_kl"] {
            check("input a: f32[N, 5]\n input b: f32[N, 5]", "loss y = \(op)(a, b)")
        }
        check("input a: f32[N, 5]\n input b: f32[N, 5]", "loss y = binary_cross_entropy(a, b)", positive: true)
        check("input a: f32[N, 5]\n input b: f32[N, 5]", "loss y = kl_div(log(a), b)", positive: true)
        check("input x: f32[N, 5]", "loss y = l1_penalty(x) + l2_penalty(x)")
    }

    func testMatMulConvolutionPooling() {
        check("input a: f32[N, 4, 5]\n input b: f32[5, 3]", "output y = matmul(a, b)")
        check("input a: f32[2, N, 5, 4]\n input b: f32[N, 3, 5]", "output y = matmul(a, b, transpose_a: true, transpose_b: true)")
        check("input a: f32[5]\n input b: f32[N, 5, 3]", "output y = matmul(a, b)")
        check("input x: f32[N, 4, 7, 7]\n input w: f32[6, 2, 3, 3]\n input b: f32[6]",
              "output y = convolution(x, w, b, stride: 2, padding: same, groups: 2)")
        check("input x: f32[N, 2, 6, 6]\n input w: f32[3, 2, 3, 3]", "output y = convolution(x, w, dilation: 2, padding: [1, 0, 2, 1])")
        check("input x: f32[N, 4, 5, 5]\n input w: f32[4, 3, 3, 3]", "output y = conv_transpose(x, w, stride: 2, padding: 1, output_padding: 1)")
        check("input x: f32[N, 2, 7, 7]", "output y = maxpool2d(x, kernel: 3, stride: 2, padding: 1)")
        check("input x: f32[N, 2, 7, 7]", "output y = avgpool2d(x, kernel: 2)")
        check("input x: f32[N, 2, 7, 7]", "output y = maxpool2d(x, kernel: 2, ceil_mode: true)")
    }

    func testBackwardOps() {
        check("input x: f32[N, 5]\n input g: f32[N, 5]", "output y = gelu_backward(x, g)")
        check("input x: f32[N, 5]\n input g: f32[N, 5]", "output y = gelu_backward(x, g, approximate: true)")
        check("input x: f32[10, 4]\n input i: i32[N]\n input u: f32[N, 4]", "output y = scatter_add(x, i, u, axis: 0)")
        check("input x: f32[N, 5]", "output y = dropout_mask(x, rate: 0.3)")
        // Ops without operands lower too (the plan of a VAE's reparameterization).
        do {
            let g = try CPUTest.graph("model T {\n input x: f32[N, 4]\n output y = x + 0.0 * random_normal([N, 4])\n}\n")
            let (cpu, ref) = try CPUTest.both(g, bindings: ["N": 3])
            CPUTest.assertClose(cpu, ref, tolerance: 1e-6, "random_normal")
        } catch { XCTFail("random_normal: \(error)") }
        // convolution_backward_weight: plain, strided with asymmetric padding, dilated, grouped,
        // and a stride that leaves input pixels unused.
        check("input x: f32[N, 3, 8, 8]\n input g: f32[N, 4, 8, 8]",
              "output y = convolution_backward_weight(x, g, kernel: 3, padding: [1, 1, 1, 1])", tolerance: 1e-5)
        check("input x: f32[N, 4, 7, 7]\n input g: f32[N, 6, 4, 4]",
              "output y = convolution_backward_weight(x, g, kernel: 3, stride: 2, padding: [1, 1, 0, 2], groups: 2)", tolerance: 1e-5)
        check("input x: f32[N, 2, 6, 6]\n input g: f32[N, 3, 5, 4]",
              "output y = convolution_backward_weight(x, g, kernel: [3, 3], dilation: 2, padding: [1, 2, 2, 0])", tolerance: 1e-5)
        check("input x: f32[N, 1, 9, 9]\n input g: f32[N, 2, 4, 4]",
              "output y = convolution_backward_weight(x, g, kernel: [2, 3], stride: 2)", tolerance: 1e-5)
        // Pooling backward: overlapping windows, padding, ceil_mode, and both element types.
        for op in ["maxpool2d", "avgpool2d"] {
            check("input x: f32[N, 2, 8, 8]\n input g: f32[N, 2, 4, 4]", "output y = \(op)_backward(x, g, kernel: 2)")
            check("input x: f32[N, 2, 7, 7]\n input g: f32[N, 2, 4, 4]",
                  "output y = \(op)_backward(x, g, kernel: 3, stride: 2, padding: 1)")
            check("input x: f32[N, 2, 7, 7]\n input g: f32[N, 2, 4, 4]",
                  "output y = \(op)_backward(x, g, kernel: 2, ceil_mode: true)")
            check("input x: f64[N, 3, 6, 5]\n input g: f64[N, 3, 2, 2]",
                  "output y = \(op)_backward(x, g, kernel: [3, 2], stride: [2, 3])")
        }
        // Ties: every window of a rounded input holds equal values; the first maximum (row-major)
        // takes the whole cotangent, as in the reference.
        check("input x: f32[N, 2, 8, 8]\n input g: f32[N, 2, 4, 4]",
              "output y = maxpool2d_backward(floor(x), g, kernel: 2)")
        check("input x: f32[N, 2, 8, 8]\n input g: f32[N, 2, 8, 8]",
              "output y = maxpool2d_backward(floor(x * 0.0), g, kernel: 3, stride: 1, padding: 1)")
        // NaN (log of the negative half): the first NaN of a window wins, as in the reference.
        check("input x: f32[N, 2, 8, 8]\n input g: f32[N, 2, 4, 4]", "output y = maxpool2d_backward(log(x), g, kernel: 2)")
        check("input x: f32[N, 2, 7, 7]\n input g: f32[N, 2, 4, 4]",
              "output y = maxpool2d_backward(log(x), g, kernel: 3, stride: 2, padding: 1)")
    }
}
