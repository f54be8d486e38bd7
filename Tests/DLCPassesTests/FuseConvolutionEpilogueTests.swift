// Golden tests of `fuse-epilogue` on convolutions: source → the graph after the execution
// passes, and the reference interpreter gives the same results on the fused and the unfused
// graph (`PassGolden`). The CPU kernel is compared with the reference in
// DLCCPUTests/FusedConvolutionTests, fused and unfused plans on every model in FusionParityTests.
import DLCCore
import DLCPasses
import XCTest
import _DLCTestSupport

final class FuseConvolutionEpilogueTests: XCTestCase {
    func check(_ source: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try PassGolden.check(PassGolden.execution(), source, expected, file: file, line: line)
    }

    /// conv2d(…) |> relu (LeNet's layers): the convolution with its bias and the activation are one node.
    func testConvolutionBiasAndActivation() throws {
        try check("""
model Conv {
  input x: f32[N, 2, 6, 6]
  output y = conv2d(x, 4, kernel: 3, padding: 1) |> relu
}
""", """
graph Conv {
  %0 = input "x" : f32[N, 2, 6, 6]  // @2:9
  %1 = param "y.weight" {init=fan_in_uniform} : f32[4, 2, 3, 3]  // y (conv2d) @3:14
  %2 = param "y.bias" {init=[uniform, -0.23570226039551587, 0.23570226039551587]} : f32[4]  // y (conv2d) @3:14
  %3 = fused_convolution(%0, %1, %2) {bias=true, dilation=1, epilogue=[["relu", 0.0]], groups=1, padding=1, stride=1} : f32[N, 4, 6, 6]  // y (conv2d) @3:14
  output y = %3
}
""")
    }

    /// A residual add (the convolution's own input), a scaling and leaky_relu with its slope, in
    /// the written order; `padding: same` stays as written.
    func testResidualScaleAndActivation() throws {
        try check("""
model Residual {
  input x: f32[N, 4, 6, 6]
  input w: f32[4, 4, 3, 3]
  output y = leaky_relu((convolution(x, w, padding: same) + x) * 0.5, alpha: 0.1)
}
""", """
graph Residual {
  %0 = input "x" : f32[N, 4, 6, 6]  // @2:9
  %1 = input "w" : f32[4, 4, 3, 3]  // @3:9
  %2 = fused_convolution(%0, %1, %0) {bias=false, dilation=1, epilogue=[["add", "i2"], ["scale", 0.5], ["leaky_relu", 0.1]], groups=1, padding=same, stride=1} : f32[N, 4, 6, 6]  // @4:26
  output y = %2
}
""")
    }

    /// Per-channel adds ([C, 1, 1] and [1, C, 1, 1]) and gelu with the tanh approximation after
    /// a strided convolution.
    func testPerChannelAddsAndGelu() throws {
        try check("""
model PerChannel {
  input x: f32[N, 2, 5, 5]
  input w: f32[3, 2, 3, 3]
  input c: f32[3, 1, 1]
  input d: f32[1, 3, 1, 1]
  output y = gelu(convolution(x, w, stride: 2) + c + d, approximate: true)
}
""", """
graph PerChannel {
  %0 = input "x" : f32[N, 2, 5, 5]  // @2:9
  %1 = input "w" : f32[3, 2, 3, 3]  // @3:9
  %2 = input "c" : f32[3, 1, 1]  // @4:9
  %3 = input "d" : f32[1, 3, 1, 1]  // @5:9
  %4 = fused_convolution(%0, %1, %2, %3) {bias=false, dilation=1, epilogue=[["add", "i2"], ["add", "i3"], ["gelu", 1.0]], groups=1, padding=0, stride=2} : f32[N, 3, 2, 2]  // @6:19
  output y = %4
}
""")
    }

    /// oneDNN adds one residual per convolution: the second add ends the chain (and joins an
    /// elementwise group).
    func testOneResidualPerConvolution() throws {
        try check("""
model TwoResiduals {
  input x: f32[N, 3, 4, 4]
  input w: f32[3, 3, 1, 1]
  input r: f32[N, 3, 4, 4]
  output y = sigmoid(convolution(x, w) + x + r)
}
""", """
graph TwoResiduals {
  %0 = input "x" : f32[N, 3, 4, 4]  // @2:9
  %1 = input "w" : f32[3, 3, 1, 1]  // @3:9
  %2 = input "r" : f32[N, 3, 4, 4]  // @4:9
  %3 = fused_convolution(%0, %1, %0) {bias=false, dilation=1, epilogue=[["add", "i2"]], groups=1, padding=0, stride=1} : f32[N, 3, 4, 4]  // @5:22
  %4 = fused_elementwise(%3, %2) {dtype=f32, program=[["add", f32, ["i0", "i1"], []], ["sigmoid", f32, ["t0"], []]], results=[1], shape=["N", 3, 4, 4]} : f32[N, 3, 4, 4]  // @5:14
  output y = %4
}
""")
    }

    /// Nothing fuses when the result is used twice, when the added vector runs along the width
    /// ([4] against [N, 2, 4, 4]) rather than the channels, or when the convolution is f64; a
    /// residual add after another step ends the chain (gemm-based oneDNN convolutions take the
    /// sum post-op only first).
    func testWhatDoesNotFuse() throws {
        try check("""
model Stays {
  input x: f32[N, 2, 4, 4]
  input w: f32[2, 2, 3, 3]
  input w2: f32[2, 2, 3, 3]
  input w3: f32[2, 2, 3, 3]
  input v: f32[4]
  input d: f64[N, 2, 4, 4]
  input dw: f64[2, 2, 3, 3]
  c = convolution(x, w, padding: 1)
  output a = relu(c)
  output b = c
  output e = convolution(x, w2, padding: 1) + v
  output f = tanh(convolution(d, dw, padding: 1))
  output g = convolution(x, w3, padding: 1) * 2.0 + x
}
""", """
graph Stays {
  %0 = input "x" : f32[N, 2, 4, 4]  // @2:9
  %1 = input "w" : f32[2, 2, 3, 3]  // @3:9
  %2 = input "w2" : f32[2, 2, 3, 3]  // @4:9
  %3 = input "w3" : f32[2, 2, 3, 3]  // @5:9
  %4 = input "v" : f32[4]  // @6:9
  %5 = input "d" : f64[N, 2, 4, 4]  // @7:9
  %6 = input "dw" : f64[2, 2, 3, 3]  // @8:9
  %7 = convolution(%0, %1) {dilation=1, groups=1, padding=1, stride=1} : f32[N, 2, 4, 4]  // @9:7
  %8 = relu(%7) : f32[N, 2, 4, 4]  // @10:14
  %9 = convolution(%0, %2) {dilation=1, groups=1, padding=1, stride=1} : f32[N, 2, 4, 4]  // @12:14
  %10 = add(%9, %4) : f32[N, 2, 4, 4]  // @12:14
  %11 = convolution(%5, %6) {dilation=1, groups=1, padding=1, stride=1} : f64[N, 2, 4, 4]  // @13:19
  %12 = tanh(%11) : f64[N, 2, 4, 4]  // @13:14
  %13 = fused_convolution(%0, %3) {bias=false, dilation=1, epilogue=[["scale", 2.0]], groups=1, padding=1, stride=1} : f32[N, 2, 4, 4]  // @14:14
  %14 = add(%13, %0) : f32[N, 2, 4, 4]  // @14:14
  output a = %8
  output b = %7
  output e = %10
  output f = %12
  output g = %14
}
""")
    }

    /// A transposed convolution stays one: oneDNN 2.6 applies a deconvolution's post-ops in a
    /// reference loop (15 times slower than the deconvolution itself on digits_resnet).
    func testTransposedConvolutionStays() throws {
        try check("""
model Transposed {
  input x: f32[N, 4, 3, 3]
  input w: f32[4, 2, 3, 3]
  input b: f32[2]
  input r: f32[N, 2, 6, 6]
  output y = elu(conv_transpose(x, w, b, stride: 2, padding: 1, output_padding: 1) + r, alpha: 0.5)
}
""", """
graph Transposed {
  %0 = input "x" : f32[N, 4, 3, 3]  // @2:9
  %1 = input "w" : f32[4, 2, 3, 3]  // @3:9
  %2 = input "b" : f32[2]  // @4:9
  %3 = input "r" : f32[N, 2, 6, 6]  // @5:9
  %4 = conv_transpose(%0, %1, %2) {dilation=1, groups=1, output_padding=1, padding=1, stride=2} : f32[N, 2, 6, 6]  // @6:18
  %5 = fused_elementwise(%4, %3) {dtype=f32, program=[["add", f32, ["i0", "i1"], []], ["elu", f32, ["t0"], ["alpha", 0.5]]], results=[1], shape=["N", 2, 6, 6]} : f32[N, 2, 6, 6]  // @6:14
  output y = %5
}
""")
    }

    /// `--disable-pass fuse-epilogue` leaves every convolution alone.
    func testDisabled() throws {
        let g = try PassGolden.run(PassGolden.execution(disabled: ["fuse-epilogue"]), on: """
model Conv {
  input x: f32[N, 2, 6, 6]
  output y = conv2d(x, 4, kernel: 3, padding: 1) |> relu
}
""")
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_convolution" }.count, 0)
        XCTAssertEqual(g.nodes.filter { $0.op == "convolution" }.count, 1)
    }

    /// The fused op is not differentiable and refuses malformed operands and attributes with
    /// the cause.
    func testFusedConvolutionOpChecksItsOperands() {
        let registry = TestCompiler.registry
        guard let spec = registry.ops["fused_convolution"] else { return XCTFail("fused_convolution is not registered") }
        XCTAssertFalse(spec.differentiable)
        func tensor(_ i: Int, _ dims: [Int], _ dtype: DType = .f32) -> Tensor {
            Tensor(id: ValueID(i), type: TensorType(dtype, dims.map { .known($0) }))
        }
        let x = tensor(0, [2, 3, 5, 5]), w = tensor(1, [4, 3, 3, 3]), bias = tensor(2, [4])
        let relu = Epilogue(steps: [.activation("relu", alpha: 0)]).attribute
        let cases: [([Tensor], Attributes, String)] = [
            ([x, w], ["bias": .bool(true), "epilogue": relu], "needs x, the weight and the bias, found 2 operands"),
            ([x, w, tensor(2, [3])], ["bias": .bool(true), "epilogue": relu], "needs a bias of type f32[4], found f32[3]"),
            ([tensor(0, [2, 3, 5]), w], ["epilogue": relu], "needs a float x [N, C, H, W] and a weight of rank 4"),
            ([x, w, bias], ["bias": .bool(true), "epilogue": Epilogue(steps: [.add(operand: 2)]).attribute],
             "epilogue step 0 adds \"i2\", but the node has no operands to add"),
            ([x, w, tensor(2, [2, 4, 4, 4])], ["epilogue": Epilogue(steps: [.add(operand: 2)]).attribute],
             "the added operand f32[2, 4, 4, 4] does not broadcast to f32[2, 4, 3, 3]"),
            ([x, w, tensor(2, [2, 4, 3, 3], .f64)], ["epilogue": Epilogue(steps: [.add(operand: 2)]).attribute],
             "the added operand 2 is f64[2, 4, 3, 3], not f32"),
            ([x, tensor(1, [4, 2, 3, 3])], ["epilogue": relu], "the weight f32[4, 2, 3, 3] with 1 group does not take the channels"),
            ([x, w], ["padding": .int(-1), "epilogue": relu], "must not be negative"),
            ([x, w], ["epilogue": .int(3)], "fused_convolution needs an 'epilogue' list"),
            ([x, w, tensor(2, [2, 4, 3, 3])], ["epilogue": Epilogue(steps: [.reluMask(operand: 2)]).attribute],
             "a relu_mask step is for fused_matmul only"),
            ([x, w], ["epilogue": relu, "layout": .symbol("blocked")], "argument 'layout' of 'fused_convolution' must be plain or native, found blocked"),
        ]
        for (inputs, attributes, message) in cases {
            XCTAssertThrowsError(try spec.infer(try spec.bind(inputs: inputs, attributes: attributes)), message) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) does not contain \(message)")
            }
        }
        let ok = try? spec.infer(try spec.bind(inputs: [x, w, bias],
                                               attributes: ["bias": .bool(true), "stride": .int(2), "padding": .string("same"), "epilogue": relu]))
        XCTAssertEqual(ok, [TensorType(.f32, [.known(2), .known(4), .known(3), .known(3)])])
    }
}
