import DLCCore
import DLCOps
import XCTest

final class JoiningTests: XCTestCase {
    func testConcat() {
        assertInfers("concat", ["f32[N, 3]", "f32[N, 4]"], ["axis": .int(1)], ["f32[N, 7]"])
        assertInfers("concat", ["f32[N, 3]"], [:], ["f32[N, 3]"])
        assertInfers("concat", ["f32[2, 3]", "f32[5, 3]", "f32[1, 3]"], [:], ["f32[8, 3]"])
        assertRejects("concat", ["f32[N, 3]", "f32[M, 4]"], ["axis": .int(1)],
                      "cannot concatenate f32[N, 3] and f32[M, 4] in 'concat': dimension 0 is N in one and M in the other",
                      operands: [0, 1])
        assertRejects("concat", ["f32[N, 3]", "f32[N, 3]"], [:],
                      "'concat' needs known sizes along axis 0 to join several tensors, but it is N in f32[N, 3]", operands: [0])
        assertRejects("concat", ["f32[2, 3]", "i32[2, 3]"], [:],
                      "'concat' needs tensors of the same element type, found f32[2, 3] and i32[2, 3]; convert one with cast()",
                      operands: [0, 1])
        assertRejects("concat", ["f32[2, 3]", "f32[2, 3, 1]"], [:],
                      "cannot concatenate f32[2, 3] and f32[2, 3, 1] in 'concat': ranks 2 and 3 differ")
        assertRejects("concat", [], [:], "'concat' needs at least one tensor")
    }

    func testStack() {
        assertInfers("stack", ["f32[N, 3]", "f32[N, 3]"], ["axis": .int(1)], ["f32[N, 2, 3]"])
        assertInfers("stack", ["f32[N]", "f32[N]", "f32[N]"], ["axis": .int(-1)], ["f32[N, 3]"])
        assertRejects("stack", ["f32[N, 3]", "f32[N, 4]"], [:],
                      "cannot stack f32[N, 3] and f32[N, 4] in 'stack': dimension 1 is 3 in one and 4 in the other", operands: [0, 1])
    }

    func testSplit() {
        assertInfers("split", ["f32[N, 12]"], ["sections": .int(3), "axis": .int(1)], ["f32[N, 4]", "f32[N, 4]", "f32[N, 4]"])
        assertInfers("split", ["f32[10, N]"], ["sections": .list([.int(3), .int(7)])], ["f32[3, N]", "f32[7, N]"])
        assertRejects("split", ["f32[N, 10]"], ["sections": .int(3), "axis": .int(1)],
                      "cannot split f32[N, 10] into 3 equal parts along axis 1 in 'split': 10 is not a multiple of 3",
                      operands: [0], argument: "sections")
        assertRejects("split", ["f32[10]"], ["sections": .list([.int(3), .int(4)])],
                      "cannot split f32[10] into parts of sizes [3, 4] along axis 0 in 'split': they add up to 7, not 10")
        assertRejects("split", ["f32[N, 10]"], ["sections": .int(2)],
                      "'split' needs a known size along axis 0, found N in f32[N, 10]", operands: [0])
    }
}

final class IndexingTests: XCTestCase {
    func slice(_ axis: Int, _ start: Int, _ end: Int, _ step: Int = 1) -> Attributes {
        ["axis": .int(axis), "start": .int(start), "end": .int(end), "step": .int(step)]
    }

    func testSlice() {
        assertInfers("slice", ["f32[N, 10]"], slice(1, 2, 5), ["f32[N, 3]"])
        assertInfers("slice", ["f32[N, 10]"], slice(1, -3, 100), ["f32[N, 3]"])
        assertInfers("slice", ["f32[N, 10]"], slice(-1, 0, 10, 3), ["f32[N, 4]"])
        assertInfers("slice", ["f32[N, 10]"], slice(1, -1, -100, -1), ["f32[N, 10]"])
        assertInfers("slice", ["f32[N, 10]"], slice(1, 8, 2, -2), ["f32[N, 3]"])
        assertInfers("slice", ["f32[N, 10]"], slice(1, Int.min, Int.max, Int.max), ["f32[N, 1]"])
        assertInfers("slice", ["f32[N, 10]"], slice(1, Int.max, Int.min, Int.min), ["f32[N, 1]"])
        assertRejects("slice", ["f32[N, 10]"], slice(1, 5, 2),
                      "'slice' selects no elements of axis 1 of f32[N, 10] with start 5, end 2, step 1", argument: "start")
        assertRejects("slice", ["f32[N, 10]"], slice(0, 0, 2),
                      "'slice' needs a known size along axis 0, found N in f32[N, 10]", operands: [0])
        assertRejects("slice", ["f32[N, 10]"], slice(1, 0, 2, 0), "argument 'step' of 'slice' must not be 0", argument: "step")
    }

    func testGather() {
        assertInfers("gather", ["f32[1000, 64]", "i64[N, T]"], [:], ["f32[N, T, 64]"])
        assertInfers("gather", ["f32[N, 10]", "i32[3]"], ["axis": .int(1)], ["f32[N, 3]"])
        assertRejects("gather", ["f32[1000, 64]", "f32[N]"], [:],
                      "'gather' needs integer indices, found f32[N]; convert them with cast()", operands: [1])
    }

    func testWhere() {
        assertInfers("where", ["bool[N, 1]", "f32[N, 3]", "f32[]"], [:], ["f32[N, 3]"])
        assertRejects("where", ["f32[N]", "f32[N]", "f32[N]"], [:],
                      "'where' needs a bool tensor, found f32[N]; compare with a value to get one", operands: [0])
        assertRejects("where", ["bool[N]", "f32[N]", "i64[N]"], [:],
                      "'where' needs operands of the same element type, found f32[N] and i64[N]; convert one with cast()",
                      operands: [1, 2])
        assertRejects("where", ["bool[4]", "f32[3]", "f32[3]"], [:],
                      "cannot broadcast the condition bool[4] against the values f32[3] in 'where': dimension 0 is 4 in one and 3 in the other",
                      operands: [0])
    }

    func testPad() {
        assertInfers("pad", ["f32[N, 3, 28, 28]"], ["pads": .list([.int(1), .int(1), .int(2), .int(0)])], ["f32[N, 3, 30, 30]"])
        assertInfers("pad", ["f32[N, 3]"], ["pads": .list([.int(0), .int(0), .int(1), .int(2)]), "value": .float(-1)], ["f32[N, 6]"])
        assertRejects("pad", ["f32[N, 3]"], ["pads": .list([.int(1), .int(1), .int(0), .int(0)])],
                      "'pad' needs a known size to pad axis 0 of f32[N, 3], found N", operands: [0], argument: "pads")
        assertRejects("pad", ["f32[3]"], ["pads": .list([.int(1)])],
                      "argument 'pads' of 'pad' must hold (before, after) pairs for at most 1 trailing axes of f32[3], found 1 numbers",
                      argument: "pads")
        assertRejects("pad", ["f32[3]"], ["pads": .list([.int(-1), .int(0)])],
                      "argument 'pads' of 'pad' must not be negative, found -1; use slice() to crop")
    }

    func testConversions() {
        assertInfers("cast", ["i64[N]"], ["dtype": .dtype(.f32)], ["f32[N]"])
        assertRejects("cast", ["i64[N]"], ["dtype": .string("f16")],
                      "argument 'dtype' of 'cast' must be a dtype, found \"f16\"", argument: "dtype")
        assertInfers("stop_gradient", ["f32[N, 3]"], [:], ["f32[N, 3]"])
        assertInfers("one_hot", ["i64[N]"], ["depth": .int(10)], ["f32[N, 10]"])
        assertRejects("one_hot", ["f32[N]"], ["depth": .int(10)],
                      "'one_hot' needs integer indices, found f32[N]; convert them with cast()", operands: [0])
        assertRejects("one_hot", ["i64[N]"], ["depth": .int(0)], "argument 'depth' must be positive, found 0", argument: "depth")
    }
}
