// Which oneDNN steps are small enough to run on one thread (StepThreads.swift).
import DLCCore
import DLCPasses
@testable import DLCCPU
import XCTest

final class StepThreadsTests: XCTestCase {
    func testWorkOfLeNet5StepsIsTheirMultiplyAdds() throws {
        let g = try CPUTest.model("models/lenet5.dlg")
        try Pipelines.prepareForExecution(g, registry: CPUTest.registry, inference: true)
        for (batch, single) in [(1, true), (256, false)] {
            let plan = try ExecutionPlan.build(g, bindings: ["N": batch], registry: CPUTest.registry, training: false)
            let convolutions = plan.steps.filter { $0.kernel == .convolution }
            XCTAssertEqual(convolutions.map { $0.oneDNNWork() }, [batch * 6 * 28 * 28 * 25, batch * 16 * 10 * 10 * 150])
            let products = plan.steps.filter { $0.kernel == .fusedMatmul || $0.kernel == .matmul }
            XCTAssertEqual(products.compactMap { $0.oneDNNWork() }.sorted(), [batch * 84 * 10, batch * 120 * 84, batch * 400 * 120])
            XCTAssertEqual(convolutions.allSatisfy { $0.oneDNNWork()! < singleThreadWork }, single, "batch \(batch)")
            XCTAssertNil(plan.steps.first { $0.kernel == .softmax }?.oneDNNWork(), "our own kernels are left alone")
        }
    }
}
