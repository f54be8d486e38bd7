// The fused convolution (a oneDNN convolution with post-ops) against the reference
// interpreter, with every kind of epilogue step, in oneDNN's chosen layouts and in plain
// ones (the residual is copied into a blocked temporary or into the plain result), and
// against the unfused CPU plan. Every model is compared fused against unfused in
// FusionParityTests.
import DLCCore
import DLCCPU
import DLCDriver
import Foundation
import XCTest

final class FusedConvolutionTests: XCTestCase {
    /// Models with their fused convolutions' epilogues, as the pass should make them.
    static let cases: [(source: String, epilogues: [String])] = [
        ("input x: f32[N, 3, 8, 8]\n output y = conv2d(x, 16, kernel: 3, padding: 1) |> relu", [#"[["relu", 0.0]]"#]),
        ("input x: f32[N, 4, 7, 7]\n input w: f32[4, 4, 3, 3]\n output y = leaky_relu((convolution(x, w, padding: same) + x) * 0.5, alpha: 0.1)",
         [#"[["add", "i2"], ["scale", 0.5], ["leaky_relu", 0.1]]"#]),
        ("input x: f32[N, 2, 9, 9]\n input w: f32[16, 2, 3, 3]\n input c: f32[16, 1, 1]\n input d: f32[1, 16, 1, 1]\n output y = gelu(convolution(x, w, stride: 2) + c + d, approximate: true)",
         [#"[["add", "i2"], ["add", "i3"], ["gelu", 1.0]]"#]),
        ("input x: f32[N, 8, 6, 6]\n input w: f32[8, 4, 3, 3]\n input b: f32[8]\n input r: f32[N, 8, 6, 6]\n output y = tanh(r + convolution(x, w, b, padding: 1, groups: 2))",
         [#"[["add", "i3"], ["tanh", 0.0]]"#]),
        ("input x: f32[N, 3, 6, 6]\n input w: f32[16, 3, 3, 3]\n output y = sigmoid(convolution(x, w, dilation: 2, padding: [2, 1, 0, 2]))",
         [#"[["sigmoid", 0.0]]"#]),
        ("input x: f32[N, 16, 5, 5]\n input w: f32[16, 16, 1, 1]\n input r: f32[N, 16, 5, 5]\n output y = elu(convolution(x, w) + r, alpha: 0.7) |> gelu",
         [#"[["add", "i2"], ["elu", 0.7], ["gelu", 0.0]]"#]),
        // The first result stays in oneDNN's layout for the pooling (the residual is copied into
        // that shadow); the second convolution reads the pooling's kept result.
        ("input x: f32[N, 8, 8, 8]\n input w: f32[8, 8, 3, 3]\n input v: f32[16, 8, 3, 3]\n output y = convolution(maxpool2d(relu(convolution(x, w, padding: 1) + x), kernel: 2), v, padding: 1) |> relu",
         [#"[["add", "i2"], ["relu", 0.0]]"#, #"[["relu", 0.0]]"#]),
    ]

    /// The fused graph of a case, checked to hold fused convolutions with `epilogues` and
    /// nothing else fused.
    func fused(_ source: String, epilogues: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Graph {
        let g = try CPUTest.graph("model T {\n\(source)\n}\n")
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: true)
        let convolutions = g.nodes.filter { $0.op == "fused_convolution" }
        XCTAssertEqual(convolutions.map { $0.attributes["epilogue"]?.description ?? "" }, epilogues, source, file: file, line: line)
        XCTAssertEqual(g.nodes.filter { $0.op == "fused_elementwise" }.count, 0, source, file: file, line: line)
        return g
    }

    /// Runs `body` with oneDNN's layouts chosen by oneDNN (blocked) and with plain layouts only.
    func inBothLayouts(_ body: (String) throws -> Void) rethrows {
        try body("chosen layouts")
        setenv("DLC_CPU_PLAIN_LAYOUTS", "1", 1)
        defer { unsetenv("DLC_CPU_PLAIN_LAYOUTS") }
        try body("plain layouts")
    }

    func testEveryEpilogueKindAgreesWithTheReference() throws {
        try inBothLayouts { layouts in
            for (source, epilogues) in Self.cases {
                let g = try fused(source, epilogues: epilogues)
                let (cpu, ref) = try CPUTest.both(g, bindings: ["N": 3])
                CPUTest.assertClose(cpu, ref, tolerance: 1e-5, "\(source) (\(layouts))")
            }
        }
    }

    /// The fused plan has fewer steps than the unfused one and gives the same results within
    /// 1e-5 (the post-ops act on the accumulator before it is stored; oneDNN may pick another
    /// kernel or layout for the fused primitive, and approximates the transcendental functions).
    func testFusedAndUnfusedPlansAgree() throws {
        try inBothLayouts { layouts in
            for (source, epilogues) in Self.cases {
                let fusedGraph = try fused(source, epilogues: epilogues)
                let plain = try CPUTest.graph("model T {\n\(source)\n}\n")
                let bindings = ["N": 2]
                let inputs = CPUTest.inputs(plain, bindings: bindings, seed: 7)
                var results: [[String: HostTensor]] = [], steps: [Int] = []
                for g in [plain, fusedGraph] {
                    let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: false)
                    results.append(try Executor(plan: plan).run(inputs: inputs))
                    steps.append(plan.steps.count)
                }
                XCTAssertLessThan(steps[1], steps[0], "\(source): the fused plan's steps")
                CPUTest.assertClose(results[1], results[0], tolerance: 1e-5, "\(source) (\(layouts))")
            }
        }
    }

    /// A fused convolution adding two tensors of the result's shape cannot be one oneDNN
    /// primitive; the lowering says so (the pass never makes one).
    func testTwoResidualsAreRefusedByTheLowering() throws {
        let g = try CPUTest.graph("""
model T {
  input x: f32[N, 3, 4, 4]
  input w: f32[3, 3, 1, 1]
  output y = relu(convolution(x, w) + x)
}
""")
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: true)
        guard var node = g.nodes.first(where: { $0.op == "fused_convolution" }) else { return XCTFail("no fused convolution") }
        node.inputs.append(node.inputs[0])
        node.attributes["epilogue"] = Epilogue(steps: [.add(operand: 2), .add(operand: 3)]).attribute
        g[node.id] = node
        XCTAssertThrowsError(try ExecutionPlan.build(g, bindings: ["N": 2], registry: CPUTest.registry, training: false)) { error in
            XCTAssertTrue("\(error)".contains("cannot lower 'fused_convolution'"), "\(error)")
            XCTAssertTrue("\(error)".contains("adds 2 tensors of the result's shape; oneDNN adds one (its sum post-op)"), "\(error)")
        }
    }
}
