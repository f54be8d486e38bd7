// The autodiff pass and API: accumulation, cuts (stop_gradient, integers, random ops,
// frozen parameters), pruning, errors with locations, and `--print-after autodiff`.
import DLCCore
import DLCDriver
import DLCOps
import DLCPasses
import DLCReference
import _DLCTestSupport
import Foundation
import XCTest

final class AutodiffPassTests: XCTestCase {
    private func builder() -> (Graph, GraphBuilder) {
        let g = Graph(name: "T")
        return (g, GraphBuilder(graph: g, registry: gradRegistry))
    }

    private func scalarLoss(_ b: GraphBuilder, _ t: Tensor) throws -> Tensor {
        let loss = try b.op1("sum", [t])
        b.graph.losses = [NamedValue(name: "loss", value: loss.id, location: .unknown)]
        return loss
    }

    /// x used three times: x·x + sin(x) accumulates 2x + cos x with adds.
    func testFanOutIsAccumulated() throws {
        let (g, b) = builder()
        let x = b.input(name: "x", type: TensorType(.f64, known: [3]), location: .unknown)
        let y = try b.op1("add", [b.op1("mul", [x, x]), b.op1("sin", [x])])
        let loss = try scalarLoss(b, y)
        let grads = try Autodiff.differentiate(g, loss: loss.id, wrt: [x.id], registry: gradRegistry)
        let gx = try XCTUnwrap(grads[x.id])
        XCTAssertEqual(g.producer(of: gx).op, "add")
        g.outputs = [NamedValue(name: "gx", value: gx, location: .unknown)]
        let xs: [Double] = [0.3, -1.2, 2]
        let r = try ReferenceInterpreter(registry: gradRegistry).run(g, inputs: ["x": HostTensor(shape: [3], f64: xs)],
                                                                     parameters: [:], seed: 0, training: true)
        for (a, x) in zip(r.outputs["gx"]!.doubles, xs) { XCTAssertEqual(a, 2 * x + cos(x), accuracy: 1e-12) }
    }

    /// Nothing flows through stop_gradient, integers or random samples, and nothing is
    /// emitted for them: the backward graph of sum(stop(x)·w + cast(cast(x, i64), f64)·w) is
    /// only the cotangent of w.
    func testCutsEmitNothing() throws {
        let (g, b) = builder()
        let t = TensorType(.f64, known: [4])
        let x = b.input(name: "x", type: t, location: .unknown), w = b.input(name: "w", type: t, location: .unknown)
        let stopped = try b.op1("stop_gradient", [x])
        let rounded = try b.op1("cast", [b.op1("cast", [x], ["dtype": .dtype(.i64)])], ["dtype": .dtype(.f64)])
        let sample = try b.op1("bernoulli", [b.op1("sigmoid", [x])])
        let y = try b.op1("mul", [b.op1("add", [b.op1("add", [stopped, rounded]), sample]), w])
        let loss = try scalarLoss(b, y)
        let before = g.nodes.count
        let grads = try Autodiff.differentiate(g, loss: loss.id, wrt: [x.id, w.id], registry: gradRegistry)
        XCTAssertNil(grads[x.id])
        XCTAssertNotNil(grads[w.id])
        // seed, broadcast of the seed (sum's rule), mul by the other factor.
        XCTAssertEqual(g.nodes[before...].map(\.op), ["constant", "broadcast_to", "mul"])
    }

    /// A value that does not lead to the loss, and a wrt value the loss does not depend on.
    func testUnrelatedValuesGetNothing() throws {
        let (g, b) = builder()
        let t = TensorType(.f64, known: [2])
        let x = b.input(name: "x", type: t, location: .unknown), z = b.input(name: "z", type: t, location: .unknown)
        _ = try b.op1("exp", [z])
        let loss = try scalarLoss(b, b.op1("mul", [x, b.constant(3, dtype: .f64)]))
        let before = g.nodes.count
        let grads = try Autodiff.differentiate(g, loss: loss.id, wrt: [x.id, z.id], registry: gradRegistry)
        XCTAssertNil(grads[z.id])
        XCTAssertNotNil(grads[x.id])
        XCTAssertEqual(g.nodes[before...].map(\.op), ["constant", "broadcast_to", "mul"])
    }

    /// The pass: gradients of trainable params as outputs, none for frozen ones, scopes `grad.…`.
    func testPassExposesTrainableGradients() throws {
        let (g, b) = builder()
        let x = b.input(name: "x", type: TensorType(.f32, [.symbol("N"), .known(3)]), location: .unknown)
        let w = try b.withScope("fc") { try b.param("weight", shape: [3], initializer: .ones) }
        let s = try b.param("scale", shape: [3], initializer: .ones, trainable: false)
        let unused = try b.param("unused", shape: [3], initializer: .ones)
        _ = unused
        let y = try b.withScope("fc") { try b.op1("mul", [b.op1("mul", [x, w]), s]) }
        _ = try scalarLoss(b, y)
        let diags = DiagnosticEngine()
        let context = PassContext(registry: gradRegistry, diagnostics: diags)
        let passes = try PassManager(names: ["verify", "autodiff", "verify"], registry: gradRegistry)
        passes.run(on: g, context: context)
        XCTAssertFalse(diags.hasErrors, "\(diags.diagnostics)")
        XCTAssertEqual(g.outputs.map(\.name), ["grad.fc.weight"])
        XCTAssertEqual(g[g.outputs[0].value].type, w.type)
        let scopes = Set(g.nodes.filter { $0.id.index >= 7 }.map(\.scope))
        XCTAssertEqual(scopes, ["grad", "grad.fc"])
    }

    private func located(_ text: String) -> (SourceFile, SourceRange) {
        let file = SourceFile(path: "m.dlg", text: text)
        return (file, SourceRange(file: file, start: 4, end: 9))
    }

    /// An op with no rule, and a non-differentiable op on the path, are errors at their node.
    func testMissingRuleIsAnErrorAtTheNode() throws {
        let registry = Registry()
        try registry.install(builtinPlugin)
        try registry.install(standardPassesPlugin)
        try registry.install(Plugin(name: "mystery", summary: "an op without a gradient rule") { r in
            try r.register(OpSpec("mystery", family: .elementwise, signature: Signature([ArgSpec("x", .tensor)]),
                                  summary: "?") { args in [try args.tensor("x").type] })
        })
        for op in ["mystery", "floor"] {
            let g = Graph(name: "T")
            let b = GraphBuilder(graph: g, registry: registry)
            let (_, range) = located("y = \(op)(w)\n")
            let w = try b.param("w", shape: [2], initializer: .ones)
            b.location = range
            let y = try b.op1(op, [w])
            b.location = .unknown
            let loss = try b.op1("sum", [y])
            g.losses = [NamedValue(name: "loss", value: loss.id, location: .unknown)]
            XCTAssertThrowsError(try Autodiff.differentiate(g, loss: loss.id, wrt: [w.id], registry: registry)) { e in
                let message = (e as? DLCError)?.message ?? ""
                XCTAssertTrue(message.contains("'\(op)'") && message.contains("m.dlg:1:5"), message)
            }
            let diags = DiagnosticEngine()
            AutodiffPass().run(on: g, context: PassContext(registry: registry, diagnostics: diags))
            XCTAssertEqual(diags.diagnostics.count, 1)
            XCTAssertEqual(diags.diagnostics.first?.range, range)
            let expected = op == "floor" ? "cannot differentiate 'floor': the op is not differentiable; cut the path to the loss with stop_gradient()"
                                         : "cannot differentiate 'mystery': the op has no gradient rule"
            XCTAssertEqual(diags.diagnostics.first?.message, expected)
        }
    }

    /// floor behind stop_gradient is fine.
    func testStopGradientCutsANonDifferentiableOp() throws {
        let (g, b) = builder()
        let x = b.input(name: "x", type: TensorType(.f64, known: [2]), location: .unknown)
        let y = try b.op1("mul", [b.op1("floor", [b.op1("stop_gradient", [x])]), x])
        let loss = try scalarLoss(b, y)
        let grads = try Autodiff.differentiate(g, loss: loss.id, wrt: [x.id], registry: gradRegistry)
        XCTAssertNotNil(grads[x.id])
    }

    /// `dlc compile models/mlp.dlg --print-after autodiff` prints the backward graph, and the
    /// gradients agree with finite differences of the model's loss on a tiny batch.
    func testPrintAfterAutodiffOnMLP() throws {
        let url = Repository.root.appendingPathComponent("models/mlp.dlg")
        let r = try TestCompiler.compile(file: url, options: CompileOptions(printAfter: ["autodiff"]))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        XCTAssertTrue(r.output.contains("// after autodiff"))
        for name in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "logits.weight", "logits.bias"] {
            XCTAssertTrue(r.output.contains("output grad.\(name) = %"), name)
        }
        XCTAssertTrue(r.output.contains("// grad.fc1 @7:9"))
        // Nothing dead was left behind: dce keeps every node.
        let graph = try XCTUnwrap(r.graphs.first)
        let count = graph.nodes.count
        DeadCodeEliminationPass().run(on: graph, context: PassContext(registry: TestCompiler.registry, diagnostics: DiagnosticEngine()))
        XCTAssertEqual(graph.nodes.count, count)
    }

    /// The executable accepts the flag too.
    func testPrintAfterAutodiffThroughTheBinary() throws {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/lenet5.dlg"),
                                         options: CompileOptions(printAfter: ["autodiff"]))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        XCTAssertTrue(r.output.contains("convolution_backward_weight"))
        XCTAssertTrue(r.output.contains("conv_transpose"))
    }
}
