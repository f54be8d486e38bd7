// Timing of model forward passes (meaningful in release builds: `swift test -c release`).
import DLCCore
import DLCCPU
import Foundation
import XCTest

final class SpeedTests: XCTestCase {
    func time(_ path: String, batch: Int) throws -> Double {
        let g = try CPUTest.model(path)
        let ex = try Executor(plan: try ExecutionPlan.build(g, bindings: ["N": batch], registry: CPUTest.registry))
        let inputs = CPUTest.inputs(g, bindings: ["N": batch], seed: 1)
        for _ in 0..<5 { _ = try ex.run(inputs: inputs) }
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<20 { _ = try ex.run(inputs: inputs) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 20e6)
        }
        print("speed: \(path) forward N=\(batch): \(String(format: "%.3f", best)) ms/step")
        return best
    }

    func testForwardSpeed() throws {
        #if DEBUG
        throw XCTSkip("timings mean something only in release builds")
        #endif
        _ = try time("models/mlp.dlg", batch: 64)
        _ = try time("models/lenet5.dlg", batch: 64)
        _ = try time("models/lenet5.dlg", batch: 1)
    }
}
