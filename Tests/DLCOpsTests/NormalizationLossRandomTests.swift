import DLCCore
import DLCOps
import XCTest

final class NormalizationTests: XCTestCase {
    func testBatchNorm() {
        assertInfers("batch_norm", ["f32[N, 16, 8, 8]", "f32[16]", "f32[16]", "f32[16]", "f32[16]"], [:], ["f32[N, 16, 8, 8]"])
        assertInfers("batch_norm", ["f32[N, 120]", "f32[120]", "f32[120]", "f32[120]", "f32[120]"], [:], ["f32[N, 120]"])
        assertRejects("batch_norm", ["f32[N, 16, 8]", "f32[16]", "f32[16]", "f32[16]", "f32[16]"], [:],
                      "'batch_norm' expects a tensor of rank 2 [N, C] or 4 [N, C, H, W], found f32[N, 16, 8]", operands: [0])
        assertRejects("batch_norm", ["f32[N, 16, 8, 8]", "f32[16]", "f32[16]", "f32[8]", "f32[16]"], [:],
                      "'batch_norm' needs 'running_mean' of type f32[16] for the input f32[N, 16, 8, 8], found f32[8]", operands: [3])
        assertRejects("batch_norm", ["f32[N, 16]", "f32[16]", "f32[16]", "f32[16]", "f32[16]"], ["momentum": .float(2)],
                      "argument 'momentum' of 'batch_norm' must be between 0 and 1, found 2.0", argument: "momentum")
        assertRejects("batch_norm", ["f32[N, 16]", "f32[16]", "f32[16]", "f32[16]", "f32[16]"], ["eps": .float(0)],
                      "argument 'eps' of 'batch_norm' must be positive, found 0.0", argument: "eps")
        assertRejects("batch_norm", ["f32[N, C]", "f32[16]", "f32[16]", "f32[16]", "f32[16]"], [:],
                      "'batch_norm' needs a known channel count (dimension 1), found C in f32[N, C]")
    }

    func testLayerNorm() {
        assertInfers("layer_norm", ["f32[N, T, 64]", "f32[64]", "f32[64]"], [:], ["f32[N, T, 64]"])
        assertInfers("layer_norm", ["f32[N, T, 64]"], [:], ["f32[N, T, 64]"])
        assertInfers("layer_norm", ["f32[N, 4, 8]", "f32[4, 8]"], ["axes": .int(2)], ["f32[N, 4, 8]"])
        assertRejects("layer_norm", ["f32[N, T, 64]", "f32[32]", "f32[64]"], [:],
                      "'layer_norm' needs 'weight' of type f32[64] (the last 1 dimension of f32[N, T, 64]), found f32[32]", operands: [1])
        assertRejects("layer_norm", ["f32[N, 64]"], ["axes": .int(3)],
                      "'layer_norm' cannot normalize the last 3 dimensions of f32[N, 64]", argument: "axes")
    }

    func testSoftmaxAndLRN() {
        assertInfers("softmax", ["f32[N, 10]"], [:], ["f32[N, 10]"])
        assertInfers("log_softmax", ["f32[N, 10]"], ["axis": .int(0)], ["f32[N, 10]"])
        assertRejects("softmax", ["i64[N, 10]"], [:], "'softmax' needs a floating-point tensor, found i64[N, 10]", operands: [0])
        assertRejects("softmax", ["f32[N, 10]"], ["axis": .int(2)],
                      "axis 2 is out of range for 'softmax' on a tensor of rank 2 (valid: -2...1)", argument: "axis")
        assertInfers("local_response_norm", ["f32[N, 96, 55, 55]"], [:], ["f32[N, 96, 55, 55]"])
        assertRejects("local_response_norm", ["f32[N, 96]"], [:],
                      "'local_response_norm' expects a tensor of rank 3 or more [N, C, ...], found f32[N, 96]", operands: [0])
    }

    func testDropout() {
        assertInfers("dropout", ["f32[N, 128]"], ["rate": .float(0.2)], ["f32[N, 128]"])
        assertInfers("dropout_mask", ["f32[N, 128]"], ["rate": .float(0.2)], ["f32[N, 128]"])
        assertRejects("dropout_mask", ["i64[N, 128]"], [:], "'dropout_mask' needs a floating-point tensor, found i64[N, 128]")
        assertRejects("dropout", ["f32[N, 128]"], ["rate": .float(1)],
                      "argument 'rate' of 'dropout' must be at least 0 and less than 1, found 1.0", argument: "rate")
    }

    func testFlops() throws {
        XCTAssertEqual(try flops("softmax", ["f32[2, 10]"]), 100)
    }
}

final class LossTests: XCTestCase {
    func testPairLosses() {
        for op in ["mse", "mae", "binary_cross_entropy", "bce_with_logits", "kl_div", "gaussian_kl"] {
            assertInfers(op, ["f32[N, 10]", "f32[N, 10]"], [:], ["f32[]"])
        }
        assertRejects("mse", ["f32[N, 10]", "f32[N, 1]"], [:],
                      "'mse' needs pred and target of the same shape, found f32[N, 10] and f32[N, 1]: dimension 1 is 10 in pred and 1 in target",
                      operands: [0, 1])
        assertRejects("mae", ["f32[N]", "f32[N, 1]"], [:],
                      "'mae' needs pred and target of the same shape, found f32[N] and f32[N, 1]: ranks 1 and 2 differ")
        assertRejects("bce_with_logits", ["f32[N, 1]", "i64[N, 1]"], [:],
                      "'bce_with_logits' needs operands of the same element type, found f32[N, 1] and i64[N, 1]; convert one with cast()")
        assertRejects("gaussian_kl", ["f32[N, 20]", "f32[M, 20]"], [:],
                      "'gaussian_kl' needs mu and logvar of the same shape, found f32[N, 20] and f32[M, 20]: dimension 0 is N in mu and M in logvar")
        assertRejects("mse", ["i64[N]", "i64[N]"], [:], "'mse' needs a floating-point tensor, found i64[N]")
    }

    func testCrossEntropy() {
        assertInfers("cross_entropy", ["f32[N, 10]", "i64[N]"], [:], ["f32[]"])
        assertInfers("cross_entropy", ["f32[N, 10]", "f32[N, 10]"], [:], ["f32[]"])
        assertRejects("cross_entropy", ["f32[N, 10]", "i64[M]"], [:],
                      "'cross_entropy' needs one label per row of the logits f32[N, 10], found i64[M]: dimension 0 is N in the logits and M in the labels",
                      operands: [0, 1])
        assertRejects("cross_entropy", ["f32[N, 10]", "i64[N, 10]"], [:],
                      "'cross_entropy' needs integer labels of rank 1 [N] (one class index per row of f32[N, 10]), found i64[N, 10]",
                      operands: [1])
        assertRejects("cross_entropy", ["f32[N, 10]", "f32[N]"], [:],
                      "'cross_entropy' needs probability labels of the same type as the logits f32[N, 10], found f32[N]; class indices must be integers")
        assertRejects("cross_entropy", ["f32[N]", "i64[N]"], [:],
                      "'cross_entropy' expects a tensor of rank 2 [N, C], found f32[N]", operands: [0])
        assertInfers("nll_loss", ["f32[N, 10]", "i32[N]"], [:], ["f32[]"])
        assertRejects("nll_loss", ["f32[N, 10]", "f32[N, 10]"], [:],
                      "'nll_loss' needs integer class indices of rank 1 [N] (one per row of f32[N, 10]), found f32[N, 10]", operands: [1])
        assertRejects("nll_loss", ["f32[N, 10]", "i64[M]"], [:],
                      "'nll_loss' needs one label per row of the log-probabilities f32[N, 10], found i64[M]: dimension 0 is N in the log-probabilities and M in the labels",
                      operands: [0, 1])
        assertRejects("nll_loss", ["i32[N, 10]", "i64[N]"], [:], "'nll_loss' needs a floating-point tensor, found i32[N, 10]", operands: [0])
        assertRejects("cross_entropy", ["f32[N, 10]", "bool[N]"], [:],
                      "'cross_entropy' needs labels that are integer class indices [N] or probabilities [N, C], found bool[N]")
    }

    func testPenalties() throws {
        assertInfers("l1_penalty", ["f32[120, 400]"], [:], ["f32[]"])
        assertInfers("l2_penalty", ["f32[120, 400]"], [:], ["f32[]"])
        assertRejects("l2_penalty", ["i32[3]"], [:], "'l2_penalty' needs a floating-point tensor, found i32[3]")
        XCTAssertEqual(try flops("cross_entropy", ["f32[4, 10]", "i64[4]"]), 200)
    }
}

final class RandomTests: XCTestCase {
    func testSampling() {
        assertInfers("random_uniform", [], ["shape": .list([.symbol("N"), .int(16)])], ["f32[N, 16]"])
        assertInfers("random_uniform", [], ["shape": .list([.int(3)]), "dtype": .dtype(.f64), "low": .float(-1)], ["f64[3]"])
        assertInfers("random_normal", [], ["shape": .list([.symbol("N"), .int(20)]), "std": .float(0.5)], ["f32[N, 20]"])
        assertInfers("bernoulli", ["f32[N, 10]"], [:], ["f32[N, 10]"])
        assertRejects("random_uniform", [], ["shape": .list([.int(3)]), "low": .float(1), "high": .float(1)],
                      "'random_uniform' needs low < high, found low 1.0 and high 1.0", argument: "high")
        assertRejects("random_uniform", [], ["shape": .list([.int(3)]), "dtype": .dtype(.i32)],
                      "argument 'dtype' of 'random_uniform' must be f32 or f64, found i32", argument: "dtype")
        assertRejects("random_normal", [], ["shape": .list([.int(-1), .int(3)])],
                      "argument 'shape' of 'random_normal' must hold positive integers and symbolic dimensions, found -1 in [-1, 3]",
                      argument: "shape")
        assertRejects("random_normal", [], ["shape": .list([.int(3)]), "std": .float(-1)],
                      "'random_normal' needs std >= 0, found -1.0", argument: "std")
        assertRejects("bernoulli", ["i64[N]"], [:], "'bernoulli' needs a floating-point tensor, found i64[N]", operands: [0])
    }
}
