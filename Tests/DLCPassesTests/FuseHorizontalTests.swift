// Golden tests of `fuse-horizontal`: independent fused nodes (and single elementwise ops)
// with one program become one `fused_elementwise_multi` node; the reference interpreter gives
// the same outputs before and after; the op checks its operands.
import DLCCore
import DLCPasses
import XCTest
import _DLCTestSupport

final class FuseHorizontalTests: XCTestCase {
    func check(_ source: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try PassGolden.check(PassGolden.execution(), source, expected, file: file, line: line)
    }

    /// Two parameters' updates with weight decay share their program: one node, two segments,
    /// the learning rate (a scalar) an operand of each.
    func testUpdatesOfTwoParametersBecomeOneNode() throws {
        try check("""
model Updates {
  input w1: f32[4, 8]
  input g1: f32[4, 8]
  input w2: f32[3]
  input g2: f32[3]
  input lr: f32[]
  output new_w1 = w1 - lr * (g1 + 0.5 * w1)
  output new_w2 = w2 - lr * (g2 + 0.5 * w2)
}
""", """
graph Updates {
  %0 = input "w1" : f32[4, 8]  // @2:9
  %1 = input "g1" : f32[4, 8]  // @3:9
  %2 = input "w2" : f32[3]  // @4:9
  %3 = input "g2" : f32[3]  // @5:9
  %4 = input "lr" : f32[]  // @6:9
  %5, %6 = fused_elementwise_multi(%0, %1, %4, %2, %3, %4) {dtype=f32, program=[["mul", f32, [0.5, "i0"], []], ["add", f32, ["i1", "t0"], []], ["mul", f32, ["i2", "t1"], []], ["sub", f32, ["i0", "t2"], []]], results=[3], shapes=[[4, 8], [3]]} : f32[4, 8], f32[3]  // @8:19
  output new_w1 = %5
  output new_w2 = %6
}
""")
    }

    /// Single ops merge too, until a reader of their results comes (the third relu runs after
    /// the sums, so it stays on its own).
    func testSingleOpsMergeUntilAReaderComes() throws {
        try check("""
model Singles {
  input x: f32[N, 8]
  input y: f32[5]
  input z: f32[N, 8]
  a = relu(x)
  b = relu(y)
  output s = sum(a) + sum(b)
  output c = relu(z)
}
""", """
graph Singles {
  %0 = input "x" : f32[N, 8]  // @2:9
  %1 = input "y" : f32[5]  // @3:9
  %2 = input "z" : f32[N, 8]  // @4:9
  %3, %4 = fused_elementwise_multi(%0, %1) {dtype=f32, program=[["relu", f32, ["i0"], []]], results=[0], shapes=[["N", 8], [5]]} : f32[N, 8], f32[5]  // @6:7
  %5 = sum(%3) {axes=[], keepdims=false} : f32[]  // @7:14
  %6 = sum(%4) {axes=[], keepdims=false} : f32[]  // @7:23
  %7 = add(%5, %6) : f32[]  // @7:14
  %8 = relu(%2) : f32[N, 8]  // @8:14
  output s = %7
  output c = %8
}
""")
    }

    /// What stays apart: a node that reads another's result (through a sum), operands that
    /// broadcast ([8] against [N, 8]), and different programs (w − lr·w against w + lr·w).
    func testDependentBroadcastingAndDifferentProgramsStayApart() throws {
        let g = try PassGolden.run(PassGolden.execution(), on: """
        model Apart {
          input x: f32[N, 8]
          input z: f32[N, 8]
          input b: f32[8]
          input w1: f32[4]
          input w2: f32[4]
          input lr: f32[]
          a = tanh(x * 2.0 + 1.0)
          s = sum(a, axes: [1], keepdims: true)
          output y = tanh(s * 2.0 + 1.0)
          output e1 = exp(x + b)
          output e2 = exp(z + b)
          output d1 = w1 - lr * w1
          output d2 = w2 + lr * w2
        }
        """)
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_elementwise_multi" }.count, 0)
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_elementwise" }.count, 6)
    }

    /// Nodes computed from parameters alone (which an inference plan runs once per state)
    /// merge with each other, never with one that reads an input.
    func testParameterDerivedNodesMergeOnlyWithEachOther() throws {
        let g = try PassGolden.run(PassGolden.execution(), on: """
        model FromState {
          input x: f32[4]
          param p: f32[4] = ones
          param q: f32[3] = ones
          output a = exp(p * 2.0)
          output b = exp(x * 2.0)
          output c = exp(q * 2.0)
        }
        """)
        let multi = g.nodes.filter { $0.op == "fused_elementwise_multi" }
        XCTAssertEqual(multi.count, 1)
        XCTAssertEqual(multi.first?.inputs.map { g.producer(of: $0).op }, ["param", "param"])
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_elementwise" }.count, 1, "the input's exp stays apart")
    }

    func testDisabled() throws {
        let g = try PassGolden.run(PassGolden.execution(disabled: ["fuse-horizontal"]), on: """
        model Updates {
          input w1: f32[4, 8]
          input w2: f32[3]
          input lr: f32[]
          output a = w1 - lr * w1
          output b = w2 - lr * w2
        }
        """)
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_elementwise_multi" }.count, 0)
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_elementwise" }.count, 2)
    }

    /// The op is not differentiable, and its shape rule refuses malformed attributes and
    /// operands with the segment and the cause.
    func testMultiOpChecksItsAttributesAndOperands() throws {
        let spec = try XCTUnwrap(TestCompiler.registry.ops["fused_elementwise_multi"])
        XCTAssertFalse(spec.differentiable)
        func t(_ i: Int, _ dtype: DType, _ dims: [Int]) -> Tensor { Tensor(id: ValueID(i), type: TensorType(dtype, known: dims)) }
        let program = FusedProgram(instructions: [FusedInstruction(op: "mul", dtype: .f32, operands: [.input(0), .input(1)], attributes: [:])],
                                   results: [0])
        let good = FusedMultiLayout(program: program, dtype: .f32, shapes: [[.known(2), .known(3)], [.known(4)]], operandsPerSegment: 2)
        let ok = try spec.infer(try spec.bind(inputs: [t(0, .f32, [2, 3]), t(1, .f32, []), t(2, .f32, [4]), t(3, .f32, [4])],
                                              attributes: good.attributes))
        XCTAssertEqual(ok, [TensorType(.f32, known: [2, 3]), TensorType(.f32, known: [4])])

        var noShapes = good.attributes
        noShapes["shapes"] = nil
        var badDim = good.attributes
        badDim["shapes"] = .list([.list([.float(1.5)]), .list([.int(4)])])
        var intType = good.attributes
        intType["dtype"] = .dtype(.i32)
        let oneOperand = FusedMultiLayout(program: program, dtype: .f32, shapes: [[.known(4)], [.known(4)]], operandsPerSegment: 1)
        let cases: [([Tensor], Attributes, String)] = [
            ([t(0, .f32, [2, 3]), t(1, .f32, [3]), t(2, .f32, [4]), t(3, .f32, [4])], good.attributes,
             "operand 1 of segment 0 is f32[3]; it must be f32[2, 3] or a f32 scalar"),
            ([t(0, .f32, [2, 3]), t(1, .f32, []), t(2, .f64, [4]), t(3, .f32, [4])], good.attributes,
             "operand 0 of segment 1 is f64[4]"),
            ([t(0, .f32, [2, 3]), t(1, .f32, []), t(2, .f32, [4])], good.attributes, "3 operands do not divide into 2 segments"),
            ([t(0, .f32, [4]), t(1, .f32, [4])], oneOperand.attributes, "instruction 0 reads operand i1, but each segment has 1"),
            ([t(0, .f32, [4])], noShapes, "needs argument 'shapes'"),
            ([t(0, .f32, [4]), t(1, .f32, [4])], badDim, "bad dimension 1.5 in the shape of segment 0"),
            ([t(0, .f32, [4]), t(1, .f32, [4])], intType, "needs a float dtype"),
        ]
        for (inputs, attributes, message) in cases {
            XCTAssertThrowsError(try spec.infer(try spec.bind(inputs: inputs, attributes: attributes))) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should say: \(message)")
            }
        }
    }
}
