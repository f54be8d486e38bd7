import DLCCore
import DLCOps
import XCTest

final class MatMulTests: XCTestCase {
    func testAccepts() {
        assertInfers("matmul", ["f32[N, 784]", "f32[784, 128]"], [:], ["f32[N, 128]"])
        assertInfers("matmul", ["f32[N, 784]", "f32[128, 784]"], ["transpose_b": .bool(true)], ["f32[N, 128]"])
        assertInfers("matmul", ["f32[784, N]", "f32[784, 10]"], ["transpose_a": .bool(true)], ["f32[N, 10]"])
        assertInfers("matmul", ["f32[5]", "f32[5, 3]"], [:], ["f32[3]"])
        assertInfers("matmul", ["f32[4, 5]", "f32[5]"], [:], ["f32[4]"])
        assertInfers("matmul", ["f32[5]", "f32[5]"], [:], ["f32[]"])
        assertInfers("matmul", ["f32[B, 1, 2, 3]", "f32[7, 3, 4]"], [:], ["f32[B, 7, 2, 4]"])
        assertInfers("matmul", ["f32[N, T, 8]", "f32[16, 8]"], ["transpose_b": .bool(true)], ["f32[N, T, 16]"])
    }

    func testRejects() {
        assertRejects("matmul", ["f32[N, 784]", "f32[128, 10]"], [:],
                      "cannot multiply f32[N, 784] by f32[128, 10] in 'matmul': inner dimensions 784 and 128 differ",
                      operands: [0, 1])
        assertRejects("matmul", ["f32[N, 784]", "f32[784, 10]"], ["transpose_b": .bool(true)],
                      "cannot multiply f32[N, 784] by the transpose of f32[784, 10] in 'matmul': inner dimensions 784 and 10 differ")
        assertRejects("matmul", ["f32[N, K]", "f32[M, 10]"], [:],
                      "cannot multiply f32[N, K] by f32[M, 10] in 'matmul': inner dimensions K and M differ")
        assertRejects("matmul", ["f32[4, 2, 3]", "f32[5, 3, 2]"], [:],
                      "cannot multiply f32[4, 2, 3] by f32[5, 3, 2] in 'matmul': batch dimensions [4] and [5] do not broadcast",
                      operands: [0, 1])
        assertRejects("matmul", ["f32[3, 3]", "i32[3, 3]"], [:],
                      "'matmul' needs operands of the same element type, found f32[3, 3] and i32[3, 3]; convert one with cast()")
        assertRejects("matmul", ["f32[]", "f32[3, 3]"], [:],
                      "'matmul' needs operands of rank 1 or more, found the scalar f32[]; use mul() to scale", operands: [0])
        assertRejects("matmul", ["f32[3]", "f32[3, 3]"], ["transpose_a": .bool(true)],
                      "'matmul' cannot transpose the vector f32[3] (transpose_a needs rank 2 or more)", argument: "transpose_a")
    }

    func testFlops() throws {
        XCTAssertEqual(try flops("matmul", ["f32[N, 784]", "f32[784, 128]"]), 2 * 784 * 128)
        XCTAssertEqual(try flops("matmul", ["f32[8, 784]", "f32[128, 784]"], ["transpose_b": .bool(true)]), 2 * 8 * 784 * 128)
        XCTAssertEqual(try flops("matmul", ["f32[3, 2, 4]", "f32[4, 5]"]), 2 * 3 * 2 * 4 * 5)
    }
}

final class ReductionTests: XCTestCase {
    func testAccepts() {
        for op in ["sum", "mean", "max", "min", "prod"] {
            assertInfers(op, ["f32[N, 10]"], [:], ["f32[]"])
            assertInfers(op, ["f32[N, 10]"], ["axes": .int(1)], ["f32[N]"])
        }
        assertInfers("sum", ["f32[N, 3, 4]"], ["axes": .list([.int(-1), .int(1)]), "keepdims": .bool(true)], ["f32[N, 1, 1]"])
        assertInfers("mean", ["f32[N, 10]"], ["axes": .int(0), "keepdims": .bool(true)], ["f32[1, 10]"])
        assertInfers("sum", ["i64[N]"], [:], ["i64[]"])
        assertInfers("argmax", ["f32[N, 10]"], [:], ["i64[N]"])
        assertInfers("argmin", ["f32[N, 10]"], ["axis": .int(0), "keepdims": .bool(true)], ["i64[1, 10]"])
    }

    func testRejects() {
        assertRejects("sum", ["f32[N, 10]"], ["axes": .int(2)],
                      "axis 2 is out of range for 'sum' on a tensor of rank 2 (valid: -2...1)", argument: "axes")
        assertRejects("sum", ["f32[N, 10]"], ["axes": .list([.int(1), .int(-1)])],
                      "argument 'axes' of 'sum' names axis 1 twice", argument: "axes")
        assertRejects("sum", ["f32[N, 10]"], ["axes": .string("x")],
                      "argument 'axes' of 'sum' must be an integer or a list of integers, found \"x\"", argument: "axes")
        assertRejects("mean", ["i64[N]"], [:], "'mean' needs a floating-point tensor, found i64[N]", operands: [0])
        assertRejects("sum", ["bool[N]"], [:], "'sum' needs a numeric tensor, found bool[N]; convert it with cast()")
        assertRejects("argmax", ["f32[]"], [:], "'argmax' needs a tensor of rank 1 or more, found f32[]", operands: [0])
        assertRejects("argmax", ["f32[N, 10]"], ["axis": .int(3)],
                      "axis 3 is out of range for 'argmax' on a tensor of rank 2 (valid: -2...1)", argument: "axis")
    }

    func testFlops() throws {
        XCTAssertEqual(try flops("sum", ["f32[4, 10]"]), 40)
    }
}
