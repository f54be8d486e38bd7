// The memory planner: sharing, no overlap of simultaneously live buffers, in-place reuse.
import DLCCore
@testable import DLCCPU
import XCTest

final class MemoryPlannerTests: XCTestCase {
    /// Simulates the schedule: any two arena roots alive at the same step must not overlap,
    /// except an in-place output and the input it replaced at the step where one dies.
    func assertNoOverlap(_ plan: ExecutionPlan, file: StaticString = #filePath, line: UInt = #line) {
        let keep = Set(plan.outputs.map(\.buffer) + plan.losses.map(\.buffer) + plan.updates.map(\.source))
        let life = MemoryPlanner.lifetimes(buffers: plan.buffers, steps: plan.steps, keepAlive: keep)
        let roots = life.keys.sorted()
        for (i, a) in roots.enumerated() {
            for b in roots[(i + 1)...] {
                let la = life[a]!, lb = life[b]!
                guard la.overlaps(lb) else { continue }
                let ba = plan.buffers[a], bb = plan.buffers[b]
                let disjoint = ba.offset + ba.bytes <= bb.offset || bb.offset + bb.bytes <= ba.offset
                let handover = (la.upperBound == lb.lowerBound && plan.steps[lb.lowerBound].inPlace)
                    || (lb.upperBound == la.lowerBound && plan.steps[la.lowerBound].inPlace)
                XCTAssertTrue(disjoint || handover, "b\(a) \(la) and b\(b) \(lb) overlap", file: file, line: line)
            }
        }
        for (r, _) in life { XCTAssertLessThanOrEqual(plan.buffers[r].offset + plan.buffers[r].bytes, plan.arenaBytes, file: file, line: line) }
    }

    func testLeNet5SharesMemoryAndNothingOverlaps() throws {
        let g = try CPUTest.model("models/lenet5.dlg")
        for n in [1, 64] {
            let plan = try ExecutionPlan.build(g, bindings: ["N": n], registry: CPUTest.registry)
            XCTAssertLessThan(plan.arenaBytes, plan.naiveBytes, "N=\(n)")
            XCTAssertTrue(plan.steps.contains { $0.inPlace }, "relu after a convolution should run in place")
            assertNoOverlap(plan)
        }
    }

    func testInPlaceOnlyWhereLegal() throws {
        let g = try CPUTest.graph("""
        model T {
          input x: f32[N, 8]
          a = exp(x)
          b = relu(a)
          c = add(b, a)
          output y = tanh(c)
          output z = b
        }
        """)
        let plan = try ExecutionPlan.build(g, bindings: ["N": 4], registry: CPUTest.registry)
        let byOp = Dictionary(plan.steps.map { ($0.op, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertFalse(byOp["exp"]!.inPlace, "x is an input: never overwritten")
        XCTAssertFalse(byOp["relu"]!.inPlace, "a is still needed by add")
        XCTAssertTrue(byOp["add"]!.inPlace, "a dies at add")
        XCTAssertTrue(byOp["tanh"]!.inPlace, "c dies at tanh")
        XCTAssertNotEqual(plan.buffers[plan.outputs[1].buffer].offset, plan.buffers[plan.outputs[0].buffer].offset)
        assertNoOverlap(plan)
        let (cpu, ref) = try CPUTest.both(g, bindings: ["N": 4])
        CPUTest.assertClose(cpu, ref, tolerance: 1e-5, "in-place graph")
    }

    func testReshapeIsAViewAndPrinterShowsSizes() throws {
        let g = try CPUTest.model("models/lenet5.dlg")
        let plan = try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry)
        XCTAssertFalse(plan.steps.contains { $0.op == "flatten" })
        XCTAssertTrue(plan.buffers.contains { $0.viewOf != nil })
        let text = PlanPrinter().print(plan)
        XCTAssertTrue(text.contains("arena \(plan.arenaBytes) bytes (naive sum \(plan.naiveBytes) bytes"), text)
        XCTAssertTrue(text.contains("convolution (convolution)"), text)
    }

    func testErrorsNameTheProblem() throws {
        let g = try CPUTest.model("models/mlp.dlg")
        XCTAssertThrowsError(try ExecutionPlan.build(g, bindings: [:], registry: CPUTest.registry)) {
            XCTAssertTrue("\($0)".contains("dimension 'N'"), "\($0)")
        }
        let ex = try Executor(plan: try PlanCache(graph: g, registry: CPUTest.registry).plan(bindings: ["N": 2]))
        let good = CPUTest.inputs(g, bindings: ["N": 2], seed: 1)
        var missing = good
        missing["label"] = nil
        XCTAssertThrowsError(try ex.run(inputs: missing)) { XCTAssertTrue("\($0)".contains("missing input 'label'"), "\($0)") }
        var wrong = good
        wrong["x"] = HostTensor.zeros(.f32, shape: [3, 784])
        XCTAssertThrowsError(try ex.run(inputs: wrong)) {
            XCTAssertTrue("\($0)".contains("expected f32[2, 784], found f32[3, 784]"), "\($0)")
        }
        var badLabel = good
        badLabel["label"] = HostTensor(shape: [2], storage: .i32([0, 12]))
        XCTAssertThrowsError(try ex.run(inputs: badLabel)) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
        XCTAssertThrowsError(try ex.setState(HostTensor.zeros(.f32, shape: [1]), named: "fc1.weight")) {
            XCTAssertTrue("\($0)".contains("f32[256, 784]"), "\($0)")
        }
        XCTAssertThrowsError(try ex.state(named: "nope"))
    }
}
