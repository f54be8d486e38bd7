// .dlp round trip and every kind of bad file.
import DLCCore
import DLCCPU
import DLCReference
import XCTest

final class PlanFileTests: XCTestCase {
    func encoded() throws -> ([UInt8], [String: HostTensor], ExecutionPlan) {
        let g = try CPUTest.model("models/lenet5.dlg")
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry)
        let w = ParameterInitializer.initialize(g, seed: 3)
        return (try PlanFile.encode(plan, graph: g, weights: w), w, plan)
    }

    func testRoundTripRunsTheSame() throws {
        let (bytes, w, plan) = try encoded()
        let loaded = try PlanFile.decode(bytes, registry: CPUTest.registry)
        XCTAssertEqual(loaded.weights, w)
        XCTAssertEqual(loaded.plan.steps, plan.steps)
        XCTAssertEqual(loaded.plan.buffers, plan.buffers)
        let inputs = CPUTest.inputs(loaded.graph, bindings: ["N": 2], seed: 5)
        let a = try loaded.makeExecutor().run(inputs: inputs)
        let original = try Executor(plan: plan)
        try original.setState(w)
        XCTAssertEqual(a, try original.run(inputs: inputs))
    }

    func expectError(_ bytes: [UInt8], _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try PlanFile.decode(bytes, registry: CPUTest.registry), file: file, line: line) {
            XCTAssertTrue("\($0)".contains(text), "\($0)", file: file, line: line)
        }
    }

    func testBadFiles() throws {
        let (bytes, _, _) = try encoded()
        expectError([], "not a dlc plan file")
        expectError(Array("hello world, not a plan".utf8), "not a dlc plan file")
        var version = bytes
        version[8] = 9
        expectError(version, "version 9 is not supported")
        expectError(Array(bytes.prefix(14)), "truncated")
        expectError(Array(bytes.prefix(bytes.count - 100)), "truncated")
        var corrupt = bytes
        corrupt[bytes.count / 2] ^= 0x5A
        expectError(corrupt, "checksum")
        expectError(bytes + [0, 0], "after the end of the payload")
        // Every prefix and many single-byte corruptions fail cleanly (no crash).
        for n in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 200)) {
            XCTAssertThrowsError(try PlanFile.decode(Array(bytes.prefix(n)), registry: CPUTest.registry))
        }
    }
}
