// fuse-softmax-loss: a loss over a log-softmax becomes cross_entropy over the logits.
import DLCCore
import DLCPasses
import DLCTraining
import XCTest
import _DLCTestSupport

final class FuseSoftmaxLossTests: XCTestCase {
    func testNLLAndCrossEntropyOfALogSoftmaxReadTheLogits() throws {
        try PassGolden.check(["fuse-softmax-loss", "dce"], """
model M {
  input x: f32[N, 4]
  input label: i32[N]
  z = x * 2.0
  output nll = nll_loss(log_softmax(z), label)
  output ce = cross_entropy(log_softmax(z, axis: 1), label)
}
""", """
graph M {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "label" : i32[N]  // @3:9
  %2 = constant() {value=2.0} : f32[]  // @4:11
  %3 = mul(%0, %2) : f32[N, 4]  // @4:7
  %4 = cross_entropy(%3, %1) : f32[]  // @5:16
  %5 = cross_entropy(%3, %1) : f32[]  // @6:15
  output nll = %4
  output ce = %5
}
""")
    }

    func testALogSoftmaxOverAnotherAxisOrReadElsewhereStays() throws {
        let g = try PassGolden.run(["fuse-softmax-loss", "dce"], on: """
model M {
  input x: f32[N, 4]
  input label: i32[N]
  lp = log_softmax(x)
  output probs = lp
  output nll = nll_loss(lp, label)
  output other = nll_loss(log_softmax(x, axis: 0), label)
}
""")
        XCTAssertEqual(g.nodes.filter { $0.op == "log_softmax" }.count, 2, "the output keeps its log-softmax; axis 0 is not fused")
        XCTAssertEqual(g.nodes.filter { $0.op == "cross_entropy" }.count, 1)
        XCTAssertEqual(g.nodes.filter { $0.op == "nll_loss" }.count, 1)
    }

    /// The training step of a model written with log_softmax and nll_loss has no log-softmax
    /// left: the backward pass is cross_entropy's (a softmax and one elementwise group).
    func testTrainingStepDifferentiatesTheFusedLoss() throws {
        let g = try PassGolden.graph("""
model M {
  input x: f32[N, 4]
  input label: i32[N]
  loss nll = nll_loss(log_softmax(dense(x, 3)), label)
}
""")
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)),
                                    registry: TestCompiler.registry)
        try Pipelines.prepareForExecution(g, registry: TestCompiler.registry, inference: false)
        XCTAssertFalse(g.nodes.contains { $0.op == "log_softmax" || $0.op == "nll_loss" }, GraphPrinter().print(g))
        XCTAssertEqual(g.nodes.filter { $0.op == "cross_entropy" }.count, 1)
    }
}
