// fuse-batch-sum: the sum over the batch of a batched aᵀ·b becomes one batch_summed_matmul.
import DLCCore
import DLCPasses
import DLCTraining
import XCTest
import _DLCTestSupport

final class FuseBatchSumTests: XCTestCase {
    func testTheSumOverTheBatchOfATransposedProductIsOneProduct() throws {
        try PassGolden.check(["fuse-batch-sum", "dce"], """
model M {
  input x: f32[N, 3, 4]
  input g: f32[N, 3, 5]
  input h: f32[2, N, 3, 5]
  input y: f32[2, N, 3, 4]
  output w = sum(matmul(x, g, transpose_a: true), axes: [0])
  output kept = sum(matmul(y, h, transpose_a: true), axes: [0, 1], keepdims: true)
}
""", """
graph M {
  %0 = input "x" : f32[N, 3, 4]  // @2:9
  %1 = input "g" : f32[N, 3, 5]  // @3:9
  %2 = input "h" : f32[2, N, 3, 5]  // @4:9
  %3 = input "y" : f32[2, N, 3, 4]  // @5:9
  %4 = batch_summed_matmul(%0, %1) {keepdims=false} : f32[4, 5]  // @6:14
  %5 = batch_summed_matmul(%3, %2) {keepdims=true} : f32[1, 1, 4, 5]  // @7:17
  output w = %4
  output kept = %5
}
""")
    }

    /// Left alone: a product without the transpose of a, one whose batch broadcasts, one read
    /// elsewhere too, a sum over other axes than the batch, and an integer product.
    func testOtherProductsAndSumsStay() throws {
        let g = try PassGolden.run(["fuse-batch-sum", "dce"], on: """
model M {
  input x: f32[N, 3, 4]
  input g: f32[N, 3, 5]
  input v: f32[N, 4, 5]
  input w: f32[3, 5]
  output plain = sum(matmul(x, v), axes: [0])
  output broadcast = sum(matmul(x, w, transpose_a: true), axes: [0])
  p = matmul(x, g, transpose_a: true)
  output shared = sum(p, axes: [0])
  output product = p
  output rows = sum(matmul(x, g, transpose_a: true), axes: [1])
  input i: i32[N, 3, 4]
  input j: i32[N, 3, 5]
  output integers = sum(matmul(i, j, transpose_a: true), axes: [0])
}
""")
        XCTAssertFalse(g.nodes.contains { $0.op == "batch_summed_matmul" }, GraphPrinter().print(g))
        XCTAssertEqual(g.nodes.filter { $0.op == "sum" }.count, 5)
    }

    /// The training step of a dense layer over a sequence computes its weight gradient as one
    /// product: no sum reads a matmul after the execution passes.
    func testADenseLayersWeightGradientOverASequence() throws {
        let g = try PassGolden.graph("""
model M {
  input x: f32[N, 6, 4]
  input target: f32[N, 6, 3]
  loss l = mse(dense(x, 3), target)
}
""")
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)),
                                    registry: TestCompiler.registry)
        try Pipelines.prepareForExecution(g, registry: TestCompiler.registry, inference: false)
        XCTAssertEqual(g.nodes.filter { $0.op == "batch_summed_matmul" }.count, 1, GraphPrinter().print(g))
        XCTAssertFalse(g.nodes.contains { n in n.op == "sum" && g.producer(of: n.inputs[0]).op == "matmul" })
    }

    /// The op is not differentiable and names what is wrong with its operands, at the call's
    /// place in a `.dlg` file.
    func testTheOpChecksItsOperands() {
        XCTAssertEqual(TestCompiler.registry.ops["batch_summed_matmul"]?.differentiable, false)
        let cases = [
            ("input x: f32[N, 3, 4]\n  input g: f32[N, 2, 5]", "f32[N, 3, 4] and f32[N, 2, 5] differ in their batch or contracted dimensions"),
            ("input x: f32[3, 4]\n  input g: f32[3, 5]", "needs float operands of one rank (3 or more) and element type, found f32[3, 4] and f32[3, 5]"),
            ("input x: i32[N, 3, 4]\n  input g: i32[N, 3, 5]", "needs float operands"),
        ]
        for (inputs, message) in cases {
            let r = TestCompiler.compile("model M {\n  \(inputs)\n  output w = batch_summed_matmul(x, g)\n}\n")
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.diagnosticsText.contains(message), r.diagnosticsText)
            XCTAssertTrue(r.diagnosticsText.contains(":4:14:"), r.diagnosticsText)
        }
    }
}
