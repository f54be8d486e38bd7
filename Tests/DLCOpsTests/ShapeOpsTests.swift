import DLCCore
import DLCOps
import XCTest

final class ShapeOpsTests: XCTestCase {
    func shape(_ xs: StaticValue...) -> Attributes { ["shape": .list(xs)] }

    func testReshape() {
        assertInfers("reshape", ["f32[N, 784]"], shape(.symbol("N"), .int(28), .int(28)), ["f32[N, 28, 28]"])
        assertInfers("reshape", ["f32[N, 784]"], shape(.int(-1), .int(1), .int(28), .int(28)), ["f32[N, 1, 28, 28]"])
        assertInfers("reshape", ["f32[2, 3, 4]"], shape(.int(-1), .int(4)), ["f32[6, 4]"])
        assertInfers("reshape", ["f32[N, T, 4]"], shape(.symbol("T"), .symbol("N"), .int(2), .int(2)), ["f32[T, N, 2, 2]"])
        assertInfers("reshape", ["f32[N, 1, 28, 28]"], shape(.symbol("N"), .int(-1)), ["f32[N, 784]"])
    }

    func testReshapeRejects() {
        assertRejects("reshape", ["f32[2, 3]"], shape(.int(4), .int(2)),
                      "cannot reshape f32[2, 3] to [4, 2] in 'reshape': 6 elements cannot become 8", operands: [0], argument: "shape")
        assertRejects("reshape", ["f32[N, 784]"], shape(.symbol("N"), .int(27), .int(28)),
                      "cannot reshape f32[N, 784] to [N, 27, 28] in 'reshape': N·784 elements cannot become N·756")
        assertRejects("reshape", ["f32[N, 784]"], shape(.symbol("M"), .int(784)),
                      "cannot reshape f32[N, 784] to [M, 784] in 'reshape': N·784 elements cannot become M·784")
        assertRejects("reshape", ["f32[N, 10]"], shape(.int(-1), .int(3)),
                      "cannot reshape f32[N, 10] to [-1, 3] in 'reshape': N·10 elements are not a multiple of 3")
        assertRejects("reshape", ["f32[N, 10]"], shape(.int(-1), .int(5)),
                      "cannot reshape f32[N, 10] to [-1, 5] in 'reshape': -1 would have to be N·2, which is not a single dimension")
        assertRejects("reshape", ["f32[6]"], shape(.int(-1), .int(-1)),
                      "argument 'shape' of 'reshape' may contain at most one -1, found [-1, -1]", argument: "shape")
        assertRejects("reshape", ["f32[6]"], shape(.int(0), .int(6)),
                      "argument 'shape' of 'reshape' must hold positive integers, symbolic dimensions and one -1, found 0 in [0, 6]")
    }

    func testTranspose() {
        assertInfers("transpose", ["f32[N, 3, 4]"], [:], ["f32[4, 3, N]"])
        assertInfers("transpose", ["f32[N, 3, 4]"], ["perm": .list([.int(0), .int(2), .int(1)])], ["f32[N, 4, 3]"])
        assertRejects("transpose", ["f32[N, 3, 4]"], ["perm": .list([.int(0), .int(0), .int(1)])],
                      "argument 'perm' of 'transpose' must be a permutation of 0..<3 for f32[N, 3, 4], found [0, 0, 1]",
                      argument: "perm")
    }

    func testBroadcastTo() {
        assertInfers("broadcast_to", ["f32[1, 4]"], shape(.symbol("N"), .int(3), .int(4)), ["f32[N, 3, 4]"])
        assertInfers("broadcast_to", ["f32[]"], shape(.symbol("N"), .int(16)), ["f32[N, 16]"])
        assertRejects("broadcast_to", ["f32[3, 4]"], shape(.symbol("N"), .int(5), .int(4)),
                      "cannot broadcast f32[3, 4] to [N, 5, 4] in 'broadcast_to': dimension 0 of the tensor is 3 but the target has 5",
                      operands: [0], argument: "shape")
        assertRejects("broadcast_to", ["f32[2, 3, 4]"], shape(.int(3), .int(4)),
                      "cannot broadcast f32[2, 3, 4] to [3, 4] in 'broadcast_to': the target has fewer dimensions (2) than the tensor (3)")
    }

    func testExpandSqueezeFlatten() {
        assertInfers("expand_dims", ["f32[N, 3]"], ["axis": .int(1)], ["f32[N, 1, 3]"])
        assertInfers("expand_dims", ["f32[N, 3]"], ["axis": .int(-1)], ["f32[N, 3, 1]"])
        assertRejects("expand_dims", ["f32[N, 3]"], ["axis": .int(3)],
                      "axis 3 is out of range for 'expand_dims' on a tensor of rank 3 (valid: -3...2)", argument: "axis")
        assertInfers("squeeze", ["f32[N, 1, 3, 1]"], [:], ["f32[N, 3]"])
        assertInfers("squeeze", ["f32[N, 1, 3, 1]"], ["axes": .int(1)], ["f32[N, 3, 1]"])
        assertRejects("squeeze", ["f32[N, 3]"], ["axes": .int(1)],
                      "cannot squeeze axis 1 of f32[N, 3] in 'squeeze': its size is 3, not 1", operands: [0], argument: "axes")
        assertRejects("squeeze", ["f32[N, 3]"], ["axes": .int(0)],
                      "cannot squeeze axis 0 of f32[N, 3] in 'squeeze': its size is N, not 1")
        assertInfers("flatten", ["f32[N, 16, 5, 5]"], [:], ["f32[N, 400]"])
        assertInfers("flatten", ["f32[2, 3, 4]"], ["start_axis": .int(0)], ["f32[24]"])
        assertRejects("flatten", ["f32[N, C, 4]"], [:],
                      "'flatten' needs known sizes for the flattened dimensions of f32[N, C, 4], but dimension 1 is C", operands: [0])
        assertRejects("flatten", ["f32[N, 4]"], ["start_axis": .int(2)],
                      "axis 2 is out of range for 'flatten' on a tensor of rank 2 (valid: -2...1)", argument: "start_axis")
    }
}
