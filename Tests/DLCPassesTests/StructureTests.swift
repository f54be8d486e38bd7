// Structural checks of the gradient rules: every differentiable built-in op has one, and for
// every case of the gradient checks (in f32 as well as f64) the rules return cotangents of
// exactly their operands' types (Autodiff.differentiate rejects anything else).
import DLCCore
import DLCOps
import DLCPasses
import XCTest

final class StructureTests: XCTestCase {
    func testEveryDifferentiableOpHasARule() {
        let missing = gradRegistry.ops.values.filter { $0.differentiable && $0.gradient == nil }.map(\.name).sorted()
        XCTAssertEqual(missing, [])
    }

    func testRulesEmitOperandTypesInF32AndF64() throws {
        for c in gradientCases {
            for dtype in [DType.f32, .f64] {
                let (graph, loss, xs, _) = try c.build(dtype: dtype)
                let before = graph.nodes.count
                let grads = try Autodiff.differentiate(graph, loss: loss, wrt: xs, registry: gradRegistry)
                for (x, g) in grads { XCTAssertEqual(graph[g].type, graph[x].type, "\(c)") }
                XCTAssertTrue(graph.nodes[before...].allSatisfy { $0.scope.hasPrefix("grad") }, "\(c)")
            }
        }
    }
}
