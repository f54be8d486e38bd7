// Whole models on the CPU back end against the reference interpreter.
import DLCCore
import DLCCPU
import XCTest

final class ModelParityTests: XCTestCase {
    func testMLPForwardMatchesReference() throws {
        let g = try CPUTest.model("models/mlp.dlg")
        for n in [1, 8] {
            let (cpu, ref) = try CPUTest.both(g, bindings: ["N": n])
            CPUTest.assertClose(cpu, ref, tolerance: 1e-4, "mlp N=\(n)")
        }
    }

    func testLeNet5ForwardMatchesReference() throws {
        let g = try CPUTest.model("models/lenet5.dlg")
        for n in [1, 8] {
            let (cpu, ref) = try CPUTest.both(g, bindings: ["N": n])
            CPUTest.assertClose(cpu, ref, tolerance: 1e-4, "lenet5 N=\(n)")
        }
    }
}
