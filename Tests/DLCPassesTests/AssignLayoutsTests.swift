// assign-layouts: convolution and pooling results that a convolution, pooling or weight
// gradient reads get layout: native.
import DLCCore
import DLCPasses
import DLCTraining
import XCTest
import _DLCTestSupport

final class AssignLayoutsTests: XCTestCase {
    /// A stack: each result read only as the next window op's data is native; the last, read
    /// by a flatten, and the output stay plain.
    func testAStacksInnerResultsTakeTheNativeLayout() throws {
        try PassGolden.check(["assign-layouts"], """
model M {
  input x: f32[N, 1, 8, 8]
  param w: f32[4, 1, 3, 3]
  param v: f32[2, 4, 3, 3]
  a = convolution(x, w, padding: 1)
  b = maxpool2d(a, 2)
  c = conv_transpose(b, w, stride: 2)
  d = avgpool2d(convolution(c, w), 2)
  output f = flatten(d)
  output e = convolution(b, v)
}
""", """
graph M {
  %0 = input "x" : f32[N, 1, 8, 8]  // @2:9
  %1 = param "w" {init=glorot_uniform} : f32[4, 1, 3, 3]  // @3:9
  %2 = param "v" {init=glorot_uniform} : f32[2, 4, 3, 3]  // @4:9
  %3 = convolution(%0, %1) {dilation=1, groups=1, layout=native, padding=1, stride=1} : f32[N, 4, 8, 8]  // @5:7
  %4 = maxpool2d(%3) {ceil_mode=false, kernel=2, layout=native, padding=0, stride=none} : f32[N, 4, 4, 4]  // @6:7
  %5 = conv_transpose(%4, %1) {dilation=1, groups=1, layout=native, output_padding=0, padding=0, stride=2} : f32[N, 1, 9, 9]  // @7:7
  %6 = convolution(%5, %1) {dilation=1, groups=1, layout=native, padding=0, stride=1} : f32[N, 4, 7, 7]  // @8:17
  %7 = avgpool2d(%6) {ceil_mode=false, kernel=2, padding=0, stride=none} : f32[N, 4, 3, 3]  // @8:7
  %8 = flatten(%7) {start_axis=1} : f32[N, 36]  // @9:14
  %9 = convolution(%4, %2) {dilation=1, groups=1, padding=0, stride=1} : f32[N, 2, 2, 2]  // @10:14
  output f = %8
  output e = %9
}
""")
    }

    /// Left plain: a result only an activation reads, one read only as a convolution's weight,
    /// and one the model marked plain. A result that is also an output (or read by an
    /// activation) but pooled too is native: the back end writes its plain copy as well.
    func testResultsReadOtherwiseOrMarkedPlainStayPlain() throws {
        let g = try PassGolden.run(["assign-layouts"], on: """
model M {
  input x: f32[N, 1, 8, 8]
  param w: f32[1, 1, 3, 3]
  a = convolution(x, w)
  output r = relu(a)
  b = convolution(x, w)
  output pooled = maxpool2d(b, 2)
  output kept = b
  input k: f32[1, 1, 5, 5]
  output asWeight = convolution(x, maxpool2d(k, 3, stride: 1))
  d = convolution(x, w, layout: plain)
  output marked = maxpool2d(d, 2)
}
""")
        let layouts = g.nodes.filter { AssignLayoutsPass.layoutOps.contains($0.op) }.map { $0.attributes["layout"]?.description ?? "-" }
        // a, b, its pooling, the pooled k (a weight), the convolution by it, d, its pooling.
        XCTAssertEqual(layouts, ["-", "native", "-", "-", "-", "plain", "-"], GraphPrinter().print(g))
    }

    /// In LeNet-5's training step the convolutions' results (read by the poolings and the
    /// pooling gradients), the first pooling's (read by the second convolution and its weight
    /// gradient) and the second convolution's data gradient (read by the first pooling's
    /// gradient as its g) go native. Its inference stack keeps three results native; with the
    /// pass disabled, none.
    func testLeNet5sStacksGoNativeInTrainingAndInference() throws {
        let train = try PassGolden.model("models/lenet5.dlg")
        _ = try TrainingGraph.build(train, options: TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.1)),
                                    registry: TestCompiler.registry)
        try Pipelines.prepareForExecution(train, registry: TestCompiler.registry, inference: false)
        XCTAssertEqual(train.nodes.filter { ResultLayout(of: $0) == .native }.map(\.op),
                       ["fused_convolution", "maxpool2d", "fused_convolution", "conv_transpose"], GraphPrinter().print(train))
        let infer = try PassGolden.model("models/lenet5.dlg")
        try Pipelines.prepareForExecution(infer, registry: TestCompiler.registry, inference: true)
        XCTAssertEqual(infer.nodes.filter { ResultLayout(of: $0) == .native }.map(\.op), ["fused_convolution", "maxpool2d", "fused_convolution"])
        let disabled = try PassGolden.model("models/lenet5.dlg")
        try Pipelines.prepareForExecution(disabled, registry: TestCompiler.registry, disabled: ["assign-layouts"], inference: true)
        XCTAssertFalse(disabled.nodes.contains { ResultLayout(of: $0) == .native })
    }

    /// The attribute takes plain or native, with the error at the argument.
    func testTheAttributeTakesPlainOrNative() {
        let r = TestCompiler.compile("model M {\n  input x: f32[N, 1, 8, 8]\n  output y = maxpool2d(x, 2, layout: blocked)\n}\n")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.diagnosticsText.contains("3:30: error: argument 'layout' of 'maxpool2d' must be plain or native, found blocked"),
                      r.diagnosticsText)
    }
}
