import CKernels
@testable import DLCCPU
import XCTest

final class ThreadTests: XCTestCase {
    func testThreadCapAndKernelsLink() {
        CPUThreads.configure(count: 2)
        XCTAssertEqual(CPUThreads.maxThreads, 2)
        XCTAssertEqual(dlc_kernels_version(), 1)
    }
}
