// Golden tests of `fuse-elementwise`: source → the graph after the execution passes, and the
// reference interpreter gives the same results on the fused and the unfused graph.
import DLCCore
import DLCPasses
import DLCReference
import XCTest
import _DLCTestSupport

final class FuseElementwiseTests: XCTestCase {
    func graph(_ source: String) throws -> Graph { try PassGolden.graph(source) }

    func fused(_ source: String) throws -> Graph { try PassGolden.run(PassGolden.execution(), on: source) }

    /// The golden graph, and the same outputs from the reference interpreter before and after.
    func check(_ source: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try PassGolden.check(PassGolden.execution(), source, expected, file: file, line: line)
    }

    /// A chain with inlined constants becomes one node.
    func testChain() throws {
        try check("""
model Chain {
  input x: f32[N, 8]
  output y = tanh(x * 2.0 + 1.0)
}
""", """
graph Chain {
  %0 = input "x" : f32[N, 8]  // @2:9
  %1 = fused_elementwise(%0) {dtype=f32, program=[["mul", f32, ["i0", 2.0], []], ["add", f32, ["t0", 1.0], []], ["tanh", f32, ["t1"], []]], results=[2], shape=["N", 8]} : f32[N, 8]  // @3:14
  output y = %1
}
""")
    }

    /// A tree whose operands broadcast ([8], [N, 1] against [N, 8]) becomes one node.
    func testTreeWithBroadcast() throws {
        try check("""
model Tree {
  input x: f32[N, 8]
  input b: f32[8]
  input s: f32[N, 1]
  output y = relu(x + b) * sigmoid(s) - exp(b)
}
""", """
graph Tree {
  %0 = input "x" : f32[N, 8]  // @2:9
  %1 = input "b" : f32[8]  // @3:9
  %2 = input "s" : f32[N, 1]  // @4:9
  %3 = fused_elementwise(%0, %1, %2) {dtype=f32, program=[["add", f32, ["i0", "i1"], []], ["relu", f32, ["t0"], []], ["sigmoid", f32, ["i2"], []], ["mul", f32, ["t1", "t2"], []], ["exp", f32, ["i1"], []], ["sub", f32, ["t3", "t4"], []]], results=[5], shape=["N", 8]} : f32[N, 8]  // @5:14
  output y = %3
}
""")
    }

    /// An Adam-like update: the new moments escape (outputs, and a sum reads one), so they are extra results.
    func testOptimizerUpdateWithSeveralResults() throws {
        try check("""
model Update {
  input p: f32[4, 8]
  input g: f32[4, 8]
  input m: f32[4, 8]
  input v: f32[4, 8]
  input lr: f32[]
  m2 = 0.9 * m + 0.1 * g
  v2 = 0.999 * v + 0.001 * g * g
  output new_m = m2
  output new_v = v2
  output new_p = p - lr * m2 / (sqrt(v2) + 1e-8)
  output norm = sum(m2)
}
""", """
graph Update {
  %0 = input "p" : f32[4, 8]  // @2:9
  %1 = input "g" : f32[4, 8]  // @3:9
  %2 = input "m" : f32[4, 8]  // @4:9
  %3 = input "v" : f32[4, 8]  // @5:9
  %4 = input "lr" : f32[]  // @6:9
  %5, %6, %7 = fused_elementwise(%2, %1, %3, %4, %0) {dtype=f32, program=[["mul", f32, [0.9, "i0"], []], ["mul", f32, [0.1, "i1"], []], ["add", f32, ["t0", "t1"], []], ["mul", f32, [0.999, "i2"], []], ["mul", f32, [0.001, "i1"], []], ["mul", f32, ["t4", "i1"], []], ["add", f32, ["t3", "t5"], []], ["mul", f32, ["i3", "t2"], []], ["sqrt", f32, ["t6"], []], ["add", f32, ["t8", 1e-08], []], ["div", f32, ["t7", "t9"], []], ["sub", f32, ["i4", "t10"], []]], results=[2, 6, 11], shape=[4, 8]} : f32[4, 8], f32[4, 8], f32[4, 8]  // @11:18
  %8 = sum(%5) {axes=[], keepdims=false} : f32[]  // @12:17
  output new_m = %5
  output new_v = %6
  output new_p = %7
  output norm = %8
}
""")
    }

    /// A value read by a reduction whose result comes back would make a cycle: two groups.
    func testNoFusionThroughAReduction() throws {
        try check("""
model Cycle {
  input x: f32[N, 8]
  a = exp(x * 2.0)
  output y = neg(a + sum(a, axes: [1], keepdims: true))
}
""", """
graph Cycle {
  %0 = input "x" : f32[N, 8]  // @2:9
  %1 = fused_elementwise(%0) {dtype=f32, program=[["mul", f32, ["i0", 2.0], []], ["exp", f32, ["t0"], []]], results=[1], shape=["N", 8]} : f32[N, 8]  // @3:7
  %2 = sum(%1) {axes=[1], keepdims=true} : f32[N, 1]  // @4:22
  %3 = fused_elementwise(%1, %2) {dtype=f32, program=[["add", f32, ["i0", "i1"], []], ["neg", f32, ["t0"], []]], results=[1], shape=["N", 8]} : f32[N, 8]  // @4:14
  output y = %3
}
""")
    }

    func testSingleOpsAndIntegerOpsStay() throws {
        let g = try fused("""
        model M {
          input x: f32[N, 8]
          input k: i32[N]
          output y = relu(x)
          output z = k + k * k
        }
        """)
        XCTAssertFalse(g.nodes.contains { $0.op == "fused_elementwise" })
    }

    func testFusedOpIsNotDifferentiable() {
        XCTAssertEqual(TestCompiler.registry.ops["fused_elementwise"]?.differentiable, false)
    }
}
