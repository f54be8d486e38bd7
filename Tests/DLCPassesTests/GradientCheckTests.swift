// Central finite differences in f64 against the reverse-mode gradient, for every case.
import DLCCore
import DLCOps
import DLCPasses
import XCTest

final class GradientCheckTests: XCTestCase {
    /// Every differentiable op of the built-in plugin has at least one gradient check.
    func testEveryDifferentiableOpIsChecked() {
        let differentiable = Set(gradRegistry.ops.values.filter { $0.differentiable && $0.plugin == "builtin" }.map(\.name))
        XCTAssertEqual(differentiable.subtracting(coveredOps).sorted(), [])
    }

    func testFiniteDifferences() throws {
        for c in gradientCases {
            do {
                try checkGradient(c)
            } catch {
                XCTFail("\(c): \(error)")
            }
        }
        print("gradient checks: \(gradientCases.count) cases, \(checkedElements) partial derivatives")
        XCTAssertGreaterThan(checkedElements, 4000)
    }
}
