import DLCCore
@testable import DLCReference
import XCTest

final class ElementwiseTests: XCTestCase {
    func testBroadcastAdd() throws {
        let y = try run1("add", [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30])])
        XCTAssertEqual(y, f32([2, 3], [11, 22, 33, 14, 25, 36]))
    }

    func testMatMulBasic() throws {
        let y = try run1("matmul", [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [5, 6, 7, 8])])
        XCTAssertEqual(y, f32([2, 2], [19, 22, 43, 50]))
    }

    func testSumAxes() throws {
        let y = try run1("sum", [f32([2, 3], [1, 2, 3, 4, 5, 6])], ["axes": .int(1)])
        XCTAssertEqual(y, f32([2], [6, 15]))
    }
}
