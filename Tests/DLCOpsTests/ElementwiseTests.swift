import DLCCore
import DLCOps
import XCTest

final class ElementwiseTests: XCTestCase {
    func testUnaryKeepsType() {
        for op in ["neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tanh", "sigmoid",
                   "relu", "gelu", "softplus", "sign", "floor", "ceil", "round", "leaky_relu", "elu"] {
            assertInfers(op, ["f32[N, 784]"], [:], ["f32[N, 784]"])
        }
        assertInfers("logical_not", ["bool[N]"], [:], ["bool[N]"])
        assertInfers("clip", ["f32[N, 3]"], ["min": .float(-1), "max": .float(1)], ["f32[N, 3]"])
        assertInfers("relu", ["i32[4]"], [:], ["i32[4]"])
        assertInfers("gelu", ["f64[2]"], ["approximate": .bool(true)], ["f64[2]"])
    }

    func testUnaryRejectsWrongDType() {
        assertRejects("exp", ["i64[N]"], [:], "'exp' needs a floating-point tensor, found i64[N]", operands: [0])
        assertRejects("neg", ["bool[3]"], [:], "'neg' needs a numeric tensor, found bool[3]; convert it with cast()", operands: [0])
        assertRejects("logical_not", ["f32[3]"], [:],
                      "'logical_not' needs a bool tensor, found f32[3]; compare with a value to get one", operands: [0])
        assertRejects("clip", ["f32[3]"], ["min": .float(2), "max": .float(1)],
                      "'clip' needs min <= max, found min 2.0 and max 1.0", argument: "max")
    }

    func testBinaryBroadcasts() {
        assertInfers("add", ["f32[N, 10]", "f32[10]"], [:], ["f32[N, 10]"])
        assertInfers("mul", ["f32[N, 1, 5]", "f32[3, 1]"], [:], ["f32[N, 3, 5]"])
        assertInfers("sub", ["f32[1, 4]", "f32[N, 1]"], [:], ["f32[N, 4]"])
        assertInfers("div", ["f32[]", "f32[2, 2]"], [:], ["f32[2, 2]"])
        for op in ["pow", "maximum", "minimum"] { assertInfers(op, ["f32[N]", "f32[N]"], [:], ["f32[N]"]) }
        assertInfers("logical_and", ["bool[N, 2]", "bool[2]"], [:], ["bool[N, 2]"])
        assertInfers("logical_or", ["bool[]", "bool[3]"], [:], ["bool[3]"])
    }

    func testBinaryRejects() {
        assertRejects("add", ["f32[N, 3]", "f32[4]"], [:],
                      "cannot broadcast f32[N, 3] and f32[4] in 'add': dimension 1 is 3 in one and 4 in the other", operands: [0, 1])
        assertRejects("add", ["f32[N, 3]", "f32[M, 3]"], [:],
                      "cannot broadcast f32[N, 3] and f32[M, 3] in 'add': dimension 0 is N in one and M in the other", operands: [0, 1])
        assertRejects("mul", ["f32[N]", "f32[5]"], [:],
                      "cannot broadcast f32[N] and f32[5] in 'mul': dimension 0 is N in one and 5 in the other", operands: [0, 1])
        assertRejects("add", ["f32[N, 3]", "i64[N, 3]"], [:],
                      "'add' needs operands of the same element type, found f32[N, 3] and i64[N, 3]; convert one with cast()",
                      operands: [0, 1])
        assertRejects("add", ["bool[3]", "bool[3]"], [:], "'add' needs a numeric tensor, found bool[3]; convert it with cast()")
        assertRejects("logical_and", ["f32[3]", "f32[3]"], [:],
                      "'logical_and' needs a bool tensor, found f32[3]; compare with a value to get one")
    }

    func testComparisons() {
        for op in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"] {
            assertInfers(op, ["f32[N, 10]", "f32[]"], [:], ["bool[N, 10]"])
        }
        assertInfers("equal", ["bool[3]", "bool[3]"], [:], ["bool[3]"])
        assertInfers("equal", ["i64[N]", "i64[N]"], [:], ["bool[N]"])
        assertRejects("less", ["bool[3]", "bool[3]"], [:], "'less' needs a numeric tensor, found bool[3]; convert it with cast()")
        assertRejects("equal", ["i64[N]", "f32[N]"], [:],
                      "'equal' needs operands of the same element type, found i64[N] and f32[N]; convert one with cast()")
        assertRejects("greater", ["f32[2]", "f32[3]"], [:],
                      "cannot broadcast f32[2] and f32[3] in 'greater': dimension 0 is 2 in one and 3 in the other")
    }

    func testDifferentiabilityAndCost() throws {
        let r = Registry()
        try r.install(builtinPlugin)
        for op in ["equal", "less", "logical_and", "logical_not", "sign", "floor", "ceil", "round", "argmax", "argmin",
                   "one_hot", "random_uniform", "random_normal", "bernoulli", "stop_gradient", "dropout", "dropout_mask",
                   "convolution_backward_weight", "maxpool2d_backward", "avgpool2d_backward", "scatter_add", "gelu_backward"] {
            XCTAssertEqual(r.ops[op]?.differentiable, false, op)
        }
        for op in ["add", "exp", "relu", "matmul", "convolution", "softmax", "cross_entropy", "reshape"] {
            XCTAssertEqual(r.ops[op]?.differentiable, true, op)
        }
        XCTAssertEqual(try flops("add", ["f32[N, 10]", "f32[10]"]), 10)
        XCTAssertEqual(try flops("relu", ["f32[4, 10]"]), 40)
    }
}
