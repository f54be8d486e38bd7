// Golden tests of `simplify` and `cse` (each followed by `dce`, as in the execution pipeline).
import DLCCore
import DLCPasses
import DLCTraining
import XCTest
import _DLCTestSupport

final class SimplifyTests: XCTestCase {
    /// Folding (`exp(0) * 2` → 2), identities (`* 1`, `+ 0`), a transpose pair that cancels
    /// and a reshape chain that ends where it began.
    func testFoldingIdentitiesAndChains() throws {
        try PassGolden.check(["simplify", "dce"], """
model S {
  input x: f32[N, 8]
  input w: f32[8, 4]
  param b: f32[4] = normal
  c = exp(0.0) * 2.0
  t = transpose(transpose(w, perm: [1, 0]), perm: [1, 0])
  r = reshape(flatten(x), shape: [N, 2, 4])
  output y = (x @ t) * 1.0 + 0.0 + b * c
  output q = sigmoid(reshape(r, shape: [N, 8]) - 0.0)
}
""", """
graph S {
  %0 = input "x" : f32[N, 8]  // @2:9
  %1 = input "w" : f32[8, 4]  // @3:9
  %2 = param "b" {init=[normal, 0.0, 0.05]} : f32[4]  // @4:9
  %3 = constant() {value=2.0} : f32[]  // @5:7
  %4 = matmul(%0, %1) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @8:15
  %5 = mul(%2, %3) : f32[4]  // @8:36
  %6 = add(%4, %5) : f32[N, 4]  // @8:15
  %7 = sigmoid(%0) : f32[N, 8]  // @9:14
  output y = %6
  output q = %7
}
""")
    }

    /// Two transposes that do not cancel become one with the composed permutation; a reshape
    /// of a reshape reads the first one's operand.
    func testChainsCompose() throws {
        try PassGolden.check(["simplify", "dce"], """
model C {
  input x: f32[2, 3, 4]
  output y = transpose(transpose(x, perm: [1, 0, 2]), perm: [0, 2, 1])
  output z = reshape(reshape(x, shape: [6, 4]), shape: [4, 6])
}
""", """
graph C {
  %0 = input "x" : f32[2, 3, 4]  // @2:9
  %1 = transpose(%0) {perm=[1, 2, 0]} : f32[3, 4, 2]  // @3:14
  %2 = reshape(%0) {shape=[4, 6]} : f32[4, 6]  // @4:14
  output y = %1
  output z = %2
}
""")
    }

    /// A broadcast constant read by an elementwise op is read as the scalar itself; an
    /// identity whose operand has another shape (a broadcast) is kept.
    func testBroadcastConstantsAndKeptBroadcasts() throws {
        try PassGolden.check(["simplify", "dce"], """
model B {
  input x: f32[N, 4]
  input v: f32[4]
  output y = x * broadcast_to(3.0, shape: [N, 4])
  output z = v + broadcast_to(0.0, shape: [N, 4])
}
""", """
graph B {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "v" : f32[4]  // @3:9
  %2 = constant() {value=3.0} : f32[]  // @4:31
  %3 = mul(%0, %2) : f32[N, 4]  // @4:14
  %4 = constant() {value=0.0} : f32[]  // @5:31
  %5 = broadcast_to(%4) {shape=[N, 4]} : f32[N, 4]  // @5:18
  %6 = add(%1, %5) : f32[N, 4]  // @5:14
  output y = %3
  output z = %6
}
""")
    }

    /// Any broadcast read by an elementwise op whose other operand has the result's shape is
    /// absorbed (the op broadcasts); one whose other operand broadcasts too is kept, and so is
    /// a broadcast that is itself an output.
    func testBroadcastsReadByElementwiseOpsAreAbsorbed() throws {
        try PassGolden.check(["simplify", "dce"], """
model B {
  input x: f32[N, 4]
  input s: f32[]
  input r: f32[N, 1]
  input v: f32[4]
  output y = x * broadcast_to(s, shape: [N, 4]) - broadcast_to(r, shape: [N, 4])
  output z = v + broadcast_to(r, shape: [N, 4])
  b = broadcast_to(s, shape: [N, 4])
  output w = x / b
  output kept = b
}
""", """
graph B {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "s" : f32[]  // @3:9
  %2 = input "r" : f32[N, 1]  // @4:9
  %3 = input "v" : f32[4]  // @5:9
  %4 = mul(%0, %1) : f32[N, 4]  // @6:14
  %5 = sub(%4, %2) : f32[N, 4]  // @6:14
  %6 = broadcast_to(%2) {shape=[N, 4]} : f32[N, 4]  // @7:18
  %7 = add(%3, %6) : f32[N, 4]  // @7:14
  %8 = broadcast_to(%1) {shape=[N, 4]} : f32[N, 4]  // @8:7
  %9 = div(%0, %1) : f32[N, 4]  // @9:14
  output y = %5
  output z = %7
  output w = %9
  output kept = %8
}
""")
    }

    /// A mean's gradient (1/n broadcast to the input) is a scalar operand of the fused kernel:
    /// no broadcast_to is left in the training step of a mean loss.
    func testAMeanLossGradientLeavesNoMaterializedBroadcast() throws {
        let g = try PassGolden.graph("""
model M {
  input x: f32[N, 8]
  input t: f32[N, 8]
  param w: f32[8, 8]
  loss l = mean(tanh(x @ w) * t)
}
""")
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)),
                                    registry: TestCompiler.registry)
        try Pipelines.prepareForExecution(g, registry: TestCompiler.registry, inference: false)
        XCTAssertFalse(g.nodes.contains { $0.op == "broadcast_to" && g[$0.outputs[0]].type.rank == 2 }, GraphPrinter().print(g))
    }

    /// Repeated subexpressions (and equal constants) are computed once.
    func testCommonSubexpressions() throws {
        try PassGolden.check(["cse", "dce"], """
model E {
  input x: f32[N, 4]
  input w: f32[4, 4]
  output y = tanh(x @ w) * 2.0 + tanh(x @ w) * 2.0
}
""", """
graph E {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "w" : f32[4, 4]  // @3:9
  %2 = matmul(%0, %1) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @4:19
  %3 = tanh(%2) : f32[N, 4]  // @4:14
  %4 = constant() {value=2.0} : f32[]  // @4:28
  %5 = mul(%3, %4) : f32[N, 4]  // @4:14
  %6 = add(%5, %5) : f32[N, 4]  // @4:14
  output y = %6
}
""")
    }

    /// Random ops draw new numbers at each call: two equal calls stay two.
    func testRandomOpsNeverMerge() throws {
        let g = try PassGolden.run(["cse", "dce"], on: """
model R {
  output n = random_normal(shape: [2]) + random_normal(shape: [2])
}
""")
        XCTAssertEqual(g.nodes(op: "random_normal").count, 2)
    }

    /// A named result is never replaced by an input: `output q = x * 1.0` keeps its op.
    func testNamedResultsKeepTheirOwnValue() throws {
        let g = try PassGolden.run(["simplify", "dce"], on: """
model K {
  input x: f32[3]
  output q = x * 1.0
}
""")
        XCTAssertEqual(g.producer(of: g.outputs[0].value).op, "mul")
    }
}
