// Golden tests of the inference-only rewrites `remove-dropout` and `fold-batch-norm` (each
// followed by `dce`), the cases each leaves alone, and the reference interpreter's outputs
// before and after with random weights and running statistics (the initial ones, γ = 1,
// β = 0, μ = 0, σ² = 1, would make a fold nearly the identity). The CPU plans of folded and
// unfolded models are compared in DLCCPUTests/InferenceRewriteParityTests.
import DLCCore
import DLCPasses
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

final class InferenceRewriteTests: XCTestCase {
    let fold = ["fold-batch-norm", "dce"]

    /// The graph after `passes` prints as `expected`, and the reference interpreter gives the
    /// same outputs before and after with random parameters.
    func check(_ passes: [String], _ source: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try PassGolden.run(passes, on: source)
        XCTAssertEqual(GraphPrinter().print(g), expected + "\n", file: file, line: line)
        try assertSameOutputsWithRandomParameters(try PassGolden.graph(source), g, file: file, line: line)
    }

    /// Every parameter random (variances positive), inputs random; outputs within 1e-5 relative
    /// (the reference rounds each op's result to f32).
    func assertSameOutputsWithRandomParameters(_ plain: Graph, _ rewritten: Graph,
                                               file: StaticString = #filePath, line: UInt = #line) throws {
        var params: [String: HostTensor] = [:]
        var k = 0.3
        for node in plain.paramNodes {
            let name = node.attributes["name"]!.stringValue!, t = plain[node.outputs[0]].type
            let n = t.elementCount()
            let values = (0..<n).map { i -> Double in
                let v = sin(Double(i) * 1.3 + k) * 0.8
                return name.hasSuffix("running_var") ? abs(v) + 0.2 : v
            }
            params[name] = HostTensor(shape: t.shape.map { $0.value! }, f64: values).converted(to: t.dtype)
            k += 0.7
        }
        var inputs: [String: HostTensor] = [:]
        for node in plain.inputNodes {
            let t = plain[node.outputs[0]].type, shape = t.shape.map { $0.value ?? 3 }
            inputs[node.attributes["name"]!.stringValue!] = HostTensor(shape: shape,
                f64: (0..<shape.reduce(1, *)).map { cos(Double($0) * 0.9 + k) }).converted(to: t.dtype)
        }
        let ref = ReferenceInterpreter(registry: TestCompiler.registry)
        let a = try ref.run(plain, inputs: inputs, parameters: params, seed: 0, training: false)
        let b = try ref.run(rewritten, inputs: inputs, parameters: params, seed: 0, training: false)
        XCTAssertFalse(a.outputs.isEmpty, file: file, line: line)
        for (name, x) in a.outputs {
            guard let y = b.outputs[name] else { XCTFail("output \(name) is missing", file: file, line: line); continue }
            XCTAssertEqual(x.shape, y.shape, name, file: file, line: line)
            for (u, v) in zip(x.doubles, y.doubles) { XCTAssertEqual(u, v, accuracy: 1e-5 * max(1, abs(u)), name, file: file, line: line) }
        }
    }

    /// conv2d |> batchnorm: the convolution reads W·s (s reshaped per output channel) and
    /// (b − μ)·s + β, computed from the parameters where the batch norm was.
    func testConvolutionWithBias() throws {
        try check(fold, """
model C {
  input x: f32[N, 2, 5, 5]
  output y = conv2d(x, 3, 3, padding: 1) |> batchnorm |> relu
}
""", """
graph C {
  %0 = input "x" : f32[N, 2, 5, 5]  // @2:9
  %1 = param "y.conv2d.weight" {init=fan_in_uniform} : f32[3, 2, 3, 3]  // y.conv2d (conv2d) @3:14
  %2 = param "y.conv2d.bias" {init=[uniform, -0.23570226039551587, 0.23570226039551587]} : f32[3]  // y.conv2d (conv2d) @3:14
  %3 = param "y.batchnorm.weight" {init=ones} : f32[3]  // y.batchnorm (batchnorm) @3:14
  %4 = param "y.batchnorm.bias" {init=zeros} : f32[3]  // y.batchnorm (batchnorm) @3:14
  %5 = param "y.batchnorm.running_mean" {init=zeros, trainable=false} : f32[3]  // y.batchnorm (batchnorm) @3:14
  %6 = param "y.batchnorm.running_var" {init=ones, trainable=false} : f32[3]  // y.batchnorm (batchnorm) @3:14
  %7 = constant() {value=1e-05} : f32[]  // y.batchnorm (batchnorm) @3:14
  %8 = add(%6, %7) : f32[3]  // y.batchnorm (batchnorm) @3:14
  %9 = rsqrt(%8) : f32[3]  // y.batchnorm (batchnorm) @3:14
  %10 = mul(%3, %9) : f32[3]  // y.batchnorm (batchnorm) @3:14
  %11 = reshape(%10) {shape=[3, 1, 1, 1]} : f32[3, 1, 1, 1]  // y.batchnorm (batchnorm) @3:14
  %12 = mul(%1, %11) : f32[3, 2, 3, 3]  // y.batchnorm (batchnorm) @3:14
  %13 = sub(%2, %5) : f32[3]  // y.batchnorm (batchnorm) @3:14
  %14 = mul(%13, %10) : f32[3]  // y.batchnorm (batchnorm) @3:14
  %15 = add(%14, %4) : f32[3]  // y.batchnorm (batchnorm) @3:14
  %16 = convolution(%0, %12, %15) {dilation=1, groups=1, padding=1, stride=1} : f32[N, 3, 5, 5]  // y.conv2d (conv2d) @3:14
  %17 = relu(%16) : f32[N, 3, 5, 5]  // @3:14
  output y = %17
}
""")
    }

    /// A grouped convolution without a bias: b' = −μ·s + β.
    func testGroupedConvolutionWithoutBias() throws {
        try check(fold, """
model G {
  input x: f32[N, 4, 4, 4]
  output y = conv2d(x, 6, 3, groups: 2, bias: false) |> batchnorm
}
""", """
graph G {
  %0 = input "x" : f32[N, 4, 4, 4]  // @2:9
  %1 = param "y.conv2d.weight" {init=fan_in_uniform} : f32[6, 2, 3, 3]  // y.conv2d (conv2d) @3:14
  %2 = param "y.batchnorm.weight" {init=ones} : f32[6]  // y.batchnorm (batchnorm) @3:14
  %3 = param "y.batchnorm.bias" {init=zeros} : f32[6]  // y.batchnorm (batchnorm) @3:14
  %4 = param "y.batchnorm.running_mean" {init=zeros, trainable=false} : f32[6]  // y.batchnorm (batchnorm) @3:14
  %5 = param "y.batchnorm.running_var" {init=ones, trainable=false} : f32[6]  // y.batchnorm (batchnorm) @3:14
  %6 = constant() {value=1e-05} : f32[]  // y.batchnorm (batchnorm) @3:14
  %7 = add(%5, %6) : f32[6]  // y.batchnorm (batchnorm) @3:14
  %8 = rsqrt(%7) : f32[6]  // y.batchnorm (batchnorm) @3:14
  %9 = mul(%2, %8) : f32[6]  // y.batchnorm (batchnorm) @3:14
  %10 = reshape(%9) {shape=[6, 1, 1, 1]} : f32[6, 1, 1, 1]  // y.batchnorm (batchnorm) @3:14
  %11 = mul(%1, %10) : f32[6, 2, 3, 3]  // y.batchnorm (batchnorm) @3:14
  %12 = neg(%4) : f32[6]  // y.batchnorm (batchnorm) @3:14
  %13 = mul(%12, %9) : f32[6]  // y.batchnorm (batchnorm) @3:14
  %14 = add(%13, %3) : f32[6]  // y.batchnorm (batchnorm) @3:14
  %15 = convolution(%0, %11, %14) {dilation=1, groups=2, padding=0, stride=1} : f32[N, 6, 2, 2]  // y.conv2d (conv2d) @3:14
  output y = %15
}
""")
    }

    /// dense |> batchnorm: the matmul reads the scaled weight ([units, in], rows scaled) and the
    /// bias add the shifted bias.
    func testDenseWithBias() throws {
        try check(fold, """
model D {
  input x: f32[N, 5]
  output y = dense(x, 4) |> batchnorm
}
""", """
graph D {
  %0 = input "x" : f32[N, 5]  // @2:9
  %1 = param "y.dense.weight" {init=fan_in_uniform} : f32[4, 5]  // y.dense (dense) @3:14
  %2 = param "y.dense.bias" {init=[uniform, -0.4472135954999579, 0.4472135954999579]} : f32[4]  // y.dense (dense) @3:14
  %3 = param "y.batchnorm.weight" {init=ones} : f32[4]  // y.batchnorm (batchnorm) @3:14
  %4 = param "y.batchnorm.bias" {init=zeros} : f32[4]  // y.batchnorm (batchnorm) @3:14
  %5 = param "y.batchnorm.running_mean" {init=zeros, trainable=false} : f32[4]  // y.batchnorm (batchnorm) @3:14
  %6 = param "y.batchnorm.running_var" {init=ones, trainable=false} : f32[4]  // y.batchnorm (batchnorm) @3:14
  %7 = constant() {value=1e-05} : f32[]  // y.batchnorm (batchnorm) @3:14
  %8 = add(%6, %7) : f32[4]  // y.batchnorm (batchnorm) @3:14
  %9 = rsqrt(%8) : f32[4]  // y.batchnorm (batchnorm) @3:14
  %10 = mul(%3, %9) : f32[4]  // y.batchnorm (batchnorm) @3:14
  %11 = reshape(%10) {shape=[4, 1]} : f32[4, 1]  // y.batchnorm (batchnorm) @3:14
  %12 = mul(%1, %11) : f32[4, 5]  // y.batchnorm (batchnorm) @3:14
  %13 = sub(%2, %5) : f32[4]  // y.batchnorm (batchnorm) @3:14
  %14 = mul(%13, %10) : f32[4]  // y.batchnorm (batchnorm) @3:14
  %15 = add(%14, %4) : f32[4]  // y.batchnorm (batchnorm) @3:14
  %16 = matmul(%0, %12) {transpose_a=false, transpose_b=true} : f32[N, 4]  // y.dense (dense) @3:14
  %17 = add(%16, %15) : f32[N, 4]  // y.dense (dense) @3:14
  output y = %17
}
""")
    }

    /// A matmul without a bias (weight [in, units], not transposed) gets an add of b'.
    func testMatMulWithoutBias() throws {
        try check(fold, """
model M {
  input x: f32[N, 5]
  param w: f32[5, 4] = normal
  output y = batchnorm(x @ w)
}
""", """
graph M {
  %0 = input "x" : f32[N, 5]  // @2:9
  %1 = param "w" {init=[normal, 0.0, 0.05]} : f32[5, 4]  // @3:9
  %2 = param "y.weight" {init=ones} : f32[4]  // y (batchnorm) @4:14
  %3 = param "y.bias" {init=zeros} : f32[4]  // y (batchnorm) @4:14
  %4 = param "y.running_mean" {init=zeros, trainable=false} : f32[4]  // y (batchnorm) @4:14
  %5 = param "y.running_var" {init=ones, trainable=false} : f32[4]  // y (batchnorm) @4:14
  %6 = constant() {value=1e-05} : f32[]  // y (batchnorm) @4:14
  %7 = add(%5, %6) : f32[4]  // y (batchnorm) @4:14
  %8 = rsqrt(%7) : f32[4]  // y (batchnorm) @4:14
  %9 = mul(%2, %8) : f32[4]  // y (batchnorm) @4:14
  %10 = mul(%1, %9) : f32[5, 4]  // y (batchnorm) @4:14
  %11 = neg(%4) : f32[4]  // y (batchnorm) @4:14
  %12 = mul(%11, %9) : f32[4]  // y (batchnorm) @4:14
  %13 = add(%12, %3) : f32[4]  // y (batchnorm) @4:14
  %14 = matmul(%0, %10) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @4:24
  %15 = add(%14, %13) : f32[N, 4]  // y (batchnorm) @4:14
  output y = %15
}
""")
    }

    /// Left alone: a convolution whose result has another user or is an output, a transposed
    /// convolution, a batch norm of an input, and a product with an input as its weight.
    func testCasesLeftAlone() throws {
        let source = """
model Keep {
  input x: f32[N, 2, 4, 4]
  input v: f32[N, 3]
  input w: f32[3, 3]
  c = conv2d(x, 2, 3, padding: 1)
  output shared = batchnorm(c) + c
  output conv = conv2d(x, 2, 1)
  output bn_of_output = batchnorm(conv)
  output transposed = conv_transpose2d(x, 2, 2) |> batchnorm
  output of_input = batchnorm(x)
  output by_input = batchnorm(v @ w)
}
"""
        let g = try PassGolden.run(fold, on: source)
        XCTAssertEqual(g.nodes(op: "batch_norm").count, 5, GraphPrinter().print(g))
        XCTAssertEqual(GraphPrinter().print(g), GraphPrinter().print(try PassGolden.run(["dce"], on: source)))
    }

    /// dropout |> …: the product with the mask becomes its operand; the mask goes with dce.
    func testRemoveDropout() throws {
        try check(["remove-dropout", "dce"], """
model Drop {
  input x: f32[N, 4]
  h = dense(x, 3) |> relu |> dropout(0.5)
  output y = dense(h, 2) |> dropout(0.2)
}
""", """
graph Drop {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = param "h.weight" {init=fan_in_uniform} : f32[3, 4]  // h (dense) @3:7
  %2 = matmul(%0, %1) {transpose_a=false, transpose_b=true} : f32[N, 3]  // h (dense) @3:7
  %3 = param "h.bias" {init=[uniform, -0.5, 0.5]} : f32[3]  // h (dense) @3:7
  %4 = add(%2, %3) : f32[N, 3]  // h (dense) @3:7
  %5 = relu(%4) : f32[N, 3]  // @3:7
  %6 = param "y.weight" {init=fan_in_uniform} : f32[2, 3]  // y (dense) @4:14
  %7 = matmul(%5, %6) {transpose_a=false, transpose_b=true} : f32[N, 2]  // y (dense) @4:14
  %8 = param "y.bias" {init=[uniform, -0.5773502691896258, 0.5773502691896258]} : f32[2]  // y (dense) @4:14
  %9 = add(%7, %8) : f32[N, 2]  // y (dense) @4:14
  output y = %9
}
""")
    }

    /// A product of the mask with something of another shape (a broadcast) is kept.
    func testDropoutMaskWithBroadcastIsKept() throws {
        let g = try PassGolden.run(["remove-dropout", "dce"], on: """
model Broadcast {
  input x: f32[4]
  input z: f32[3, 4]
  output y = z * dropout_mask(x, rate: 0.5)
}
""")
        XCTAssertEqual(g.nodes(op: "dropout_mask").count, 1)
        XCTAssertEqual(g.nodes(op: "mul").count, 1)
    }

    /// The rewrites run only in the inference pipeline, first (so that a folded convolution or
    /// matmul can still take its epilogue), and are registered (`dlc plugins`, `--disable-pass`).
    func testPipelines() {
        XCTAssertEqual(Array(Pipelines.inference.prefix(2)), ["remove-dropout", "fold-batch-norm"])
        XCTAssertEqual(Array(Pipelines.inference.dropFirst(2)), Pipelines.execution)
        XCTAssertFalse(Pipelines.execution.contains("fold-batch-norm"))
        XCTAssertFalse(Pipelines.execution.contains("remove-dropout"))
        XCTAssertEqual(Pipelines.forExecution(inference: false), Pipelines.execution)
        XCTAssertNotNil(TestCompiler.registry.passes["fold-batch-norm"])
        XCTAssertNotNil(TestCompiler.registry.passes["remove-dropout"])
    }
}
