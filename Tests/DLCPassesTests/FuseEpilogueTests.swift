// Golden tests of `fuse-epilogue`: source → the graph after the execution passes, and the
// reference interpreter gives the same results on the fused and the unfused graph
// (`PassGolden`). The CPU plans of fused and unfused graphs are compared on every model in
// DLCCPUTests/FusionParityTests.
import DLCCore
import DLCPasses
import XCTest
import _DLCTestSupport

final class FuseEpilogueTests: XCTestCase {
    func check(_ source: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try PassGolden.check(PassGolden.execution(), source, expected, file: file, line: line)
    }

    /// dense(…) |> relu: the product, its bias and the activation are one node.
    func testDenseBiasAndActivation() throws {
        try check("""
model Dense {
  input x: f32[N, 3]
  output y = dense(x, 4) |> relu
}
""", """
graph Dense {
  %0 = input "x" : f32[N, 3]  // @2:9
  %1 = param "y.weight" {init=fan_in_uniform} : f32[4, 3]  // y (dense) @3:14
  %2 = param "y.bias" {init=[uniform, -0.5773502691896258, 0.5773502691896258]} : f32[4]  // y (dense) @3:14
  %3 = fused_matmul(%0, %1, %2) {epilogue=[["add", "i2"], ["relu", 0.0]], transpose_a=false, transpose_b=true} : f32[N, 4]  // y (dense) @3:14
  output y = %3
}
""")
    }

    /// A residual add, a scale and an activation after a plain product, in the written order.
    func testScaleResidualAndActivation() throws {
        try check("""
model Residual {
  input x: f32[N, 4]
  input w: f32[4, 4]
  input r: f32[N, 4]
  output y = tanh((x @ w) * 0.5 + r)
}
""", """
graph Residual {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "w" : f32[4, 4]  // @3:9
  %2 = input "r" : f32[N, 4]  // @4:9
  %3 = fused_matmul(%0, %1, %2) {epilogue=[["scale", 0.5], ["add", "i2"], ["tanh", 0.0]], transpose_a=false, transpose_b=false} : f32[N, 4]  // @5:20
  output y = %3
}
""")
    }

    /// The sum of two products fuses into the first product's node; the second stays a matmul.
    func testSumOfTwoProducts() throws {
        try check("""
model TwoProducts {
  input x: f32[N, 4]
  input w: f32[4, 4]
  input v: f32[4, 4]
  output y = relu((x @ w) + (x @ v))
}
""", """
graph TwoProducts {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "w" : f32[4, 4]  // @3:9
  %2 = input "v" : f32[4, 4]  // @4:9
  %3 = matmul(%0, %2) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @5:30
  %4 = fused_matmul(%0, %1, %3) {epilogue=[["add", "i2"], ["relu", 0.0]], transpose_a=false, transpose_b=false} : f32[N, 4]  // @5:20
  output y = %4
}
""")
    }

    /// Stacks of matrices with equal batch dimensions (attention scores) and transposes.
    func testBatchedProductWithTransposeAndScale() throws {
        try check("""
model Scores {
  input q: f32[N, 2, 3, 4]
  input k: f32[N, 2, 3, 4]
  output s = matmul(q, k, transpose_b: true) * 0.25 |> gelu
}
""", """
graph Scores {
  %0 = input "q" : f32[N, 2, 3, 4]  // @2:9
  %1 = input "k" : f32[N, 2, 3, 4]  // @3:9
  %2 = fused_matmul(%0, %1) {epilogue=[["scale", 0.25], ["gelu", 0.0]], transpose_a=false, transpose_b=true} : f32[N, 2, 3, 3]  // @4:14
  output s = %2
}
""")
    }

    /// Nothing fuses when the product is used twice, is f64, is multiplied by a tensor, or when
    /// the added value comes from an elementwise op that belongs to the add's own group.
    func testWhatDoesNotFuse() throws {
        try check("""
model Stays {
  input x: f32[N, 4]
  input w: f32[4, 4]
  input w2: f32[4, 4]
  input w3: f32[4, 4]
  input r: f32[N, 4]
  input d: f64[N, 4]
  input v: f64[4, 4]
  m = x @ w
  output a = relu(m)
  output b = m
  output c = (x @ w2) * r
  output e = (d @ v) + 1.0
  output f = (x @ w3) + r * 2.0
}
""", """
graph Stays {
  %0 = input "x" : f32[N, 4]  // @2:9
  %1 = input "w" : f32[4, 4]  // @3:9
  %2 = input "w2" : f32[4, 4]  // @4:9
  %3 = input "w3" : f32[4, 4]  // @5:9
  %4 = input "r" : f32[N, 4]  // @6:9
  %5 = input "d" : f64[N, 4]  // @7:9
  %6 = input "v" : f64[4, 4]  // @8:9
  %7 = matmul(%0, %1) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @9:7
  %8 = relu(%7) : f32[N, 4]  // @10:14
  %9 = matmul(%0, %2) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @12:15
  %10 = mul(%9, %4) : f32[N, 4]  // @12:15
  %11 = matmul(%5, %6) {transpose_a=false, transpose_b=false} : f64[N, 4]  // @13:15
  %12 = constant() {value=1.0} : f64[]  // @13:24
  %13 = add(%11, %12) : f64[N, 4]  // @13:15
  %14 = matmul(%0, %3) {transpose_a=false, transpose_b=false} : f32[N, 4]  // @14:15
  %15 = fused_elementwise(%4, %14) {dtype=f32, program=[["mul", f32, ["i0", 2.0], []], ["add", f32, ["i1", "t0"], []]], results=[1], shape=["N", 4]} : f32[N, 4]  // @14:15
  output a = %8
  output b = %7
  output c = %10
  output e = %13
  output f = %15
}
""")
    }

    /// The backward product of a ReLU layer times the ReLU's gradient mask, cast(greater(h, 0)),
    /// is one node reading h; the comparison and cast are gone.
    func testAProductTimesAReluGradientMask() throws {
        try check("""
model Mask {
  input g: f32[N, 4]
  input w: f32[4, 3]
  input h: f32[N, 3]
  input v: f32[4, 3]
  input k: f32[N, 3]
  output dx = (g @ w) * cast(greater(h, 0.0), dtype: f32)
  output dy = cast(k > 0.0, dtype: f32) * matmul(g, v) + h
}
""", """
graph Mask {
  %0 = input "g" : f32[N, 4]  // @2:9
  %1 = input "w" : f32[4, 3]  // @3:9
  %2 = input "h" : f32[N, 3]  // @4:9
  %3 = input "v" : f32[4, 3]  // @5:9
  %4 = input "k" : f32[N, 3]  // @6:9
  %5 = fused_matmul(%0, %1, %2) {epilogue=[["relu_mask", "i2"]], transpose_a=false, transpose_b=false} : f32[N, 3]  // @7:16
  %6 = fused_matmul(%0, %3, %4, %2) {epilogue=[["relu_mask", "i2"], ["add", "i3"]], transpose_a=false, transpose_b=false} : f32[N, 3]  // @8:43
  output dx = %5
  output dy = %6
}
""")
    }

    /// Left alone: a mask compared with another threshold, a mask read twice, a mask of
    /// another shape (broadcast), a convolution's (oneDNN has no such post-op).
    func testOtherMasksStay() throws {
        let g = try PassGolden.run(PassGolden.execution(), on: """
model Masks {
  input g: f32[N, 4]
  input w: f32[4, 3]
  input h: f32[N, 3]
  input v: f32[3]
  output a = (g @ w) * cast(greater(h, 1.0), dtype: f32)
  m = cast(greater(h, 0.0), dtype: f32)
  output b = (g @ w) * m
  output c = m + 1.0
  output d = (g @ w) * cast(greater(v, 0.0), dtype: f32)
  input x: f32[N, 2, 5, 5]
  input k: f32[3, 2, 3, 3]
  input r: f32[N, 3, 3, 3]
  output e = convolution(x, k) * cast(greater(r, 0.0), dtype: f32)
}
""")
        XCTAssertFalse(g.nodes.contains { $0.attributes["epilogue"]?.description.contains("relu_mask") == true }, GraphPrinter().print(g))
    }

    /// `--disable-pass fuse-epilogue` leaves every matmul alone.
    func testDisabled() throws {
        let g = try PassGolden.run(PassGolden.execution(disabled: ["fuse-epilogue"]), on: """
model Dense {
  input x: f32[N, 3]
  output y = dense(x, 4) |> relu
}
""")
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_matmul" }.count, 0)
        XCTAssertEqual(g.nodes.filter { $0.op == "matmul" }.count, 1)
    }

    /// Malformed epilogues are refused with the step and the cause.
    func testMalformedEpiloguesAreRefused() {
        let cases: [(StaticValue, String)] = [
            (.list([]), "the epilogue is empty"),
            (.list([.list([.string("add"), .string("i1")])]), "epilogue step 0 adds \"i1\", which is not an operand i2…i2"),
            (.list([.list([.string("scale"), .string("x")])]), "epilogue step 0 scales by \"x\", not a number"),
            (.list([.list([.string("softmax"), .float(0)])]), "epilogue step 0 is 'softmax'"),
            (.list([.list([.string("relu_mask"), .string("i7")])]), "epilogue step 0 masks by \"i7\", which is not an operand i2…i2"),
            (.int(3), "fused_matmul needs an 'epilogue' list"),
        ]
        for (attribute, message) in cases {
            XCTAssertThrowsError(try Epilogue(attribute: attribute, operands: 3)) { error in
                XCTAssertTrue((error as? DLCError)?.message.contains(message) == true, "\(error)")
            }
        }
        let steps: [EpilogueStep] = [.add(operand: 2), .scale(0.5), .activation("gelu", alpha: 1), .reluMask(operand: 2)]
        let ok = try? Epilogue(attribute: Epilogue(steps: steps).attribute, operands: 3)
        XCTAssertEqual(ok?.steps, steps)
    }

    /// The fused op is not differentiable and checks its operands.
    func testFusedMatMulOpChecksItsOperands() {
        let registry = TestCompiler.registry
        guard let spec = registry.ops["fused_matmul"] else { return XCTFail("fused_matmul is not registered") }
        XCTAssertFalse(spec.differentiable)
        let a = Tensor(id: ValueID(0), type: TensorType(.f32, [.known(2), .known(3)]))
        let b = Tensor(id: ValueID(1), type: TensorType(.f32, [.known(4), .known(5)]))
        let epilogue = Epilogue(steps: [.activation("relu", alpha: 0)]).attribute
        XCTAssertThrowsError(try spec.infer(try spec.bind(inputs: [a, b], attributes: ["epilogue": epilogue]))) { error in
            XCTAssertTrue("\(error)".contains("inner dimensions 3 and 4 differ"), "\(error)")
        }
        let c = Tensor(id: ValueID(1), type: TensorType(.f32, [.known(3), .known(5)]))
        let mask = Tensor(id: ValueID(2), type: TensorType(.f32, [.known(5)]))
        XCTAssertThrowsError(try spec.infer(try spec.bind(inputs: [a, c, mask],
                                                          attributes: ["epilogue": Epilogue(steps: [.reluMask(operand: 2)]).attribute]))) { error in
            XCTAssertTrue("\(error)".contains("the relu_mask operand 2 is f32[5], not the result's type f32[2, 5]"), "\(error)")
        }
    }
}
