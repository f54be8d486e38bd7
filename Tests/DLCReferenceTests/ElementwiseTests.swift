// Hand-computed cases: elementwise, matmul, reductions, data movement.
import DLCCore
@testable import DLCReference
import XCTest

final class ElementwiseTests: XCTestCase {
    func testBroadcastAdd() throws {
        let y = try run1("add", [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30])])
        XCTAssertEqual(y, f32([2, 3], [11, 22, 33, 14, 25, 36]))
    }

    func testF32ResultsRoundFromDouble() throws {
        // 0.1f + 0.2f computed in Double then rounded once to f32.
        let y = try run1("add", [f32([1], [0.1]), f32([1], [0.2])])
        XCTAssertEqual(y, HostTensor(shape: [1], f32: [Float(Double(Float(0.1)) + Double(Float(0.2)))]))
        XCTAssertEqual(try run1("exp", [f32([1], [1])]), HostTensor(shape: [1], f32: [Float(M_E)]))
    }

    func testIntegerArithmetic() throws {
        XCTAssertEqual(try run1("div", [i32([4], [7, -7, 7, 1]), i32([4], [2, 2, 0, -3])]), i32([4], [3, -4, 0, -1]))
        XCTAssertEqual(try run1("add", [i32([1], [Int32.max]), i32([1], [1])]), i32([1], [Int32.min]))  // wraps
        XCTAssertEqual(try run1("abs", [i64([2], [-3, 4])]), i64([2], [3, 4]))
        XCTAssertEqual(try run1("sign", [i32([3], [-5, 0, 9])]), i32([3], [-1, 0, 1]))
    }

    func testComparisonsAndLogic() throws {
        XCTAssertEqual(try run1("less", [f32([3], [1, 2, 3]), f32([], [2])]), bools([3], [true, false, false]))
        XCTAssertEqual(try run1("equal", [bools([2], [true, false]), bools([2], [true, true])]), bools([2], [true, false]))
        XCTAssertEqual(try run1("where", [bools([2], [true, false]), f32([2], [1, 2]), f32([], [9])]), f32([2], [1, 9]))
    }

    func testActivationsHandValues() throws {
        assertClose(try run1("relu", [f64([3], [-1, 0, 2])]), [3], [0, 0, 2])
        assertClose(try run1("sigmoid", [f64([3], [0, -1000, 1000])]), [3], [0.5, 0, 1])
        assertClose(try run1("gelu", [f64([2], [1, -1])]), [2], [0.8413447460685429, -0.15865525393145707], tol: 1e-15)
        assertClose(try run1("gelu", [f64([1], [1])], ["approximate": .bool(true)]), [1], [0.8411919906082768], tol: 1e-15)
        assertClose(try run1("maximum", [f64([2], [.nan, 1]), f64([2], [0, 3])]), [2], [.nan, 3])
        assertClose(try run1("clip", [f64([3], [-5, 0.5, 5])], ["min": .float(0), "max": .float(1)]), [3], [0, 0.5, 1])
    }

    func testCast() throws {
        XCTAssertEqual(try run1("cast", [f32([4], [1.9, -1.9, 1e20, .nan])], ["dtype": .dtype(.i32)]),
                       i32([4], [1, -1, Int32.max, 0]))
        XCTAssertEqual(try run1("cast", [i32([2], [3, -1])], ["dtype": .dtype(.f32)]), f32([2], [3, -1]))
        XCTAssertEqual(try run1("cast", [bools([2], [true, false])], ["dtype": .dtype(.i64)]), i64([2], [1, 0]))
    }

    func testMatMul() throws {
        XCTAssertEqual(try run1("matmul", [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [5, 6, 7, 8])]), f32([2, 2], [19, 22, 43, 50]))
        // [1, 2] · [[1, 2], [3, 4]] = [7, 10]; [[1, 2], [3, 4]] · [1, 1] = [3, 7]
        XCTAssertEqual(try run1("matmul", [f32([2], [1, 2]), f32([2, 2], [1, 2, 3, 4])]), f32([2], [7, 10]))
        XCTAssertEqual(try run1("matmul", [f32([2, 2], [1, 2, 3, 4]), f32([2], [1, 1])]), f32([2], [3, 7]))
        // aᵀ·b with a = [[1, 2], [3, 4]]: [[1, 3], [2, 4]] · I = aᵀ
        XCTAssertEqual(try run1("matmul", [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [1, 0, 0, 1])], ["transpose_a": .bool(true)]),
                       f32([2, 2], [1, 3, 2, 4]))
        // Batch broadcast: [2, 1, 2] × [2, 1] → [2, 1, 1]
        XCTAssertEqual(try run1("matmul", [f32([2, 1, 2], [1, 2, 3, 4]), f32([2, 1], [10, 1])]), f32([2, 1, 1], [12, 34]))
    }

    func testReductions() throws {
        let x = f32([2, 3], [1, 5, 2, 7, 0, 7])
        XCTAssertEqual(try run1("sum", [x], ["axes": .int(1)]), f32([2], [8, 14]))
        XCTAssertEqual(try run1("mean", [x]), f32([], [11 / 3]))
        XCTAssertEqual(try run1("max", [x], ["axes": .int(0), "keepdims": .bool(true)]), f32([1, 3], [7, 5, 7]))
        XCTAssertEqual(try run1("prod", [x], ["axes": .list([.int(-1)])]), f32([2], [10, 0]))
        XCTAssertEqual(try run1("argmax", [x]), i64([2], [1, 0]))          // ties → first
        XCTAssertEqual(try run1("argmin", [x], ["axis": .int(0)]), i64([3], [0, 1, 0]))
        XCTAssertEqual(try run1("argmax", [f32([3], [1, .nan, 5])]), i64([], [1]))   // NaN is the maximum, like PyTorch
    }

    func testDataMovement() throws {
        let x = f32([2, 3], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try run1("transpose", [x]), f32([3, 2], [1, 4, 2, 5, 3, 6]))
        XCTAssertEqual(try run1("reshape", [x], ["shape": .list([.int(-1), .int(2)])]), f32([3, 2], [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(try run1("slice", [x], ["axis": .int(1), "start": .int(-1), "end": .int(-4), "step": .int(-2)]),
                       f32([2, 2], [3, 1, 6, 4]))
        XCTAssertEqual(try run1("concat", [x, f32([2, 1], [7, 8])], ["axis": .int(-1)]), f32([2, 4], [1, 2, 3, 7, 4, 5, 6, 8]))
        XCTAssertEqual(try run1("stack", [f32([2], [1, 2]), f32([2], [3, 4])], ["axis": .int(1)]), f32([2, 2], [1, 3, 2, 4]))
        let parts = try runOp("split", [x], ["sections": .list([.int(2), .int(1)]), "axis": .int(1)])
        XCTAssertEqual(parts, [f32([2, 2], [1, 2, 4, 5]), f32([2, 1], [3, 6])])
        XCTAssertEqual(try run1("gather", [x, i32([2], [2, -3])], ["axis": .int(1)]), f32([2, 2], [3, 1, 6, 4]))
        XCTAssertEqual(try run1("pad", [f32([1, 2], [1, 2])], ["pads": .list([.int(1), .int(2)]), "value": .float(9)]),
                       f32([1, 5], [9, 1, 2, 9, 9]))
        XCTAssertEqual(try run1("one_hot", [i64([3], [2, 0, 1])], ["depth": .int(3)]), f32([3, 3], [0, 0, 1, 1, 0, 0, 0, 1, 0]))
        XCTAssertEqual(try run1("broadcast_to", [i32([2, 1], [1, 2])], ["shape": .list([.int(2), .int(2)])]), i32([2, 2], [1, 1, 2, 2]))
        XCTAssertEqual(try run1("squeeze", [f32([1, 2, 1], [1, 2])]), f32([2], [1, 2]))
        XCTAssertEqual(try run1("expand_dims", [f32([2], [1, 2])], ["axis": .int(0)]), f32([1, 2], [1, 2]))
        XCTAssertEqual(try run1("flatten", [f32([1, 2, 2], [1, 2, 3, 4])]), f32([1, 4], [1, 2, 3, 4]))
        XCTAssertEqual(try run1("stop_gradient", [x]), x)
    }

    func testIndexErrors() {
        XCTAssertThrowsError(try run1("gather", [f32([2], [1, 2]), i32([1], [2])])) { e in
            XCTAssertTrue("\(e)".contains("index 2 is out of range"), "\(e)")
        }
        XCTAssertThrowsError(try run1("cross_entropy", [f32([1, 2], [1, 2]), i32([1], [5])])) { e in
            XCTAssertTrue("\(e)".contains("label 5"), "\(e)")
        }
    }
}
