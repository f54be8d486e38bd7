import DLCAttention
import DLCCore
import DLCCPU
import DLCDriver
import DLCPasses
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

/// One call of the plugin's fused `attention` op in a small graph: inputs q, k, v (and a
/// float mask), loss Σ out·r (+ Σ probs·rp when `probsInLoss`, which exercises d_probs).
private struct AttentionCase {
    var batch: [Int], queries: Int, keys: Int, heads: Int, d: Int, dv: Int
    var mask: [Int]? = nil
    var causal = false
    var probsInLoss = false
    var scale = 0.0

    var label: String { "batch \(batch) tq \(queries) tk \(keys) heads \(heads) d \(d) dv \(dv) mask \(mask.map { "\($0)" } ?? "none") causal \(causal) probs \(probsInLoss)" }
    var scoreShape: [Int] { batch + (heads > 1 ? [heads] : []) + [queries, keys] }

    /// The graph, its operand values (named x0 …) and the loss weights.
    func build(_ dtype: DType, seed: UInt64) throws -> (Graph, [ValueID], [String: HostTensor]) {
        let graph = Graph(name: "Attention")
        let b = GraphBuilder(graph: graph, registry: TestCompiler.registry)
        var rng = RandomSource(seed: seed)
        var feeds: [String: HostTensor] = [:]
        func input(_ name: String, _ shape: [Int], spread: Double = 1) -> Tensor {
            let values = (0..<shape.reduce(1, *)).map { _ in (rng.nextDouble() * 2 - 1) * spread }
            feeds[name] = dtype == .f64 ? HostTensor(shape: shape, f64: values) : HostTensor(shape: shape, f32: values.map(Float.init))
            return b.input(name: name, type: TensorType(dtype, shape.map { .known($0) }), location: .unknown)
        }
        var operands = [input("x0", batch + [queries, heads * d]), input("x1", batch + [keys, heads * d]),
                        input("x2", batch + [keys, heads * dv])]
        if let mask { operands.append(input("x3", mask, spread: 2)) }
        let outs = try b.op("attention", operands, ["heads": .int(heads), "causal": .bool(causal), "scale": .float(scale)])
        var loss = try b.op1("sum", [try b.op1("mul", [outs[0], input("r0", batch + [queries, heads * dv])])])
        if probsInLoss {
            loss = try b.op1("add", [loss, try b.op1("sum", [try b.op1("mul", [outs[1], input("r1", scoreShape)])])])
        }
        graph.outputs = [NamedValue(name: "out", value: outs[0].id, location: .unknown),
                         NamedValue(name: "probs", value: outs[1].id, location: .unknown)]
        graph.losses = [NamedValue(name: "loss", value: loss.id, location: .unknown)]
        return (graph, operands.map(\.id), feeds)
    }
}

private let cases: [AttentionCase] = [
    AttentionCase(batch: [2], queries: 3, keys: 4, heads: 1, d: 3, dv: 2),
    AttentionCase(batch: [2], queries: 4, keys: 4, heads: 2, d: 2, dv: 3, mask: [2, 1, 1, 4], causal: true),
    AttentionCase(batch: [1, 2], queries: 3, keys: 2, heads: 1, d: 2, dv: 2, mask: [3, 2], probsInLoss: true, scale: 0.7),
    AttentionCase(batch: [2], queries: 3, keys: 5, heads: 2, d: 2, dv: 1, mask: [2, 2, 3, 5], causal: true, probsInLoss: true),
]

/// Appends the gradient of the loss with respect to each operand as outputs g0, g1, ….
private func withGradients(_ graph: Graph, _ operands: [ValueID]) throws {
    let grads = try Autodiff.differentiate(graph, loss: graph.losses[0].value, wrt: operands, registry: TestCompiler.registry)
    for (i, x) in operands.enumerated() {
        graph.outputs.append(NamedValue(name: "g\(i)", value: try XCTUnwrap(grads[x], "no gradient for operand \(i)"), location: .unknown))
    }
}

final class AttentionOpTests: XCTestCase {
    /// Every partial derivative of q, k, v and the mask against central differences, in f64
    /// on the reference interpreter (causal and padding-style masks, several heads, probs in the loss).
    func testGradientMatchesFiniteDifferences() throws {
        let interp = ReferenceInterpreter(registry: TestCompiler.registry)
        var checked = 0
        for c in cases {
            let (graph, operands, feeds) = try c.build(.f64, seed: 21)
            try withGradients(graph, operands)
            let (plain, _, _) = try c.build(.f64, seed: 21)
            let analytic = try interp.run(graph, inputs: feeds, parameters: [:], training: false).outputs
            XCTAssertTrue(graph.nodes.contains { $0.op == "attention_backward" }, c.label)
            let h = 1e-6
            for i in operands.indices {
                let x = feeds["x\(i)"]!, grad = try XCTUnwrap(analytic["g\(i)"]).doubles
                var values = x.doubles
                for k in values.indices {
                    let saved = values[k]
                    func loss(_ v: Double) throws -> Double {
                        values[k] = v
                        var fed = feeds
                        fed["x\(i)"] = HostTensor(shape: x.shape, f64: values)
                        return try interp.run(plain, inputs: fed, parameters: [:], training: false).losses["loss"]!.doubles[0]
                    }
                    let numeric = (try loss(saved + h) - loss(saved - h)) / (2 * h)
                    values[k] = saved
                    XCTAssertEqual(grad[k], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(c.label): d x\(i)[\(k)]")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }

    /// The causal mask hides key j from query i exactly when j > i.
    func testCausalProbabilitiesAreZeroAboveTheDiagonal() throws {
        let c = AttentionCase(batch: [1], queries: 4, keys: 6, heads: 2, d: 2, dv: 2, causal: true)
        let (graph, _, feeds) = try c.build(.f64, seed: 3)
        let probs = try ReferenceInterpreter(registry: TestCompiler.registry)
            .run(graph, inputs: feeds, parameters: [:], training: false).outputs["probs"]!.doubles
        for h in 0..<2 {
            for i in 0..<4 {
                let row = Array(probs[(h * 4 + i) * 6 ..< (h * 4 + i + 1) * 6])
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-12)
                for j in 0..<6 { if j > i { XCTAssertEqual(row[j], 0) } else { XCTAssertGreaterThan(row[j], 0) } }
            }
        }
    }

    /// The f32 C kernels (oneDNN sgemm per head, threads) agree with the reference kernels,
    /// forward and backward, on sizes that are not multiples of any vector width.
    func testCPUKernelsMatchTheReference() throws {
        let big: [AttentionCase] = [
            AttentionCase(batch: [3], queries: 37, keys: 29, heads: 3, d: 5, dv: 7, mask: [3, 1, 1, 29], causal: true, probsInLoss: true),
            AttentionCase(batch: [2, 2], queries: 17, keys: 17, heads: 1, d: 8, dv: 4, mask: [17, 17]),
            AttentionCase(batch: [2], queries: 9, keys: 33, heads: 4, d: 4, dv: 4, mask: [2, 4, 9, 1], scale: 0.3),
        ] + cases
        for c in big {
            let (graph, operands, feeds) = try c.build(.f32, seed: 8)
            try withGradients(graph, operands)
            let want = try ReferenceInterpreter(registry: TestCompiler.registry).run(graph, inputs: feeds, parameters: [:], training: false).outputs
            let ex = try Executor(plan: try ExecutionPlan.build(graph, bindings: [:], registry: TestCompiler.registry))
            let got = try ex.run(inputs: feeds)
            for name in ["out", "probs"] + operands.indices.map { "g\($0)" } {
                let a = try XCTUnwrap(got[name], name).doubles, b = want[name]!.doubles
                XCTAssertEqual(a.count, b.count)
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-5, "\(c.label): \(name)")
            }
        }
    }

    /// The multi-head layer is one attention op (and one backward op) with no transposes.
    func testMultiHeadAttentionIsOneFusedOp() throws {
        let res = TestCompiler.compile("""
            use attention
            model M {
              input x: f32[N, 6, 8]
              output y = multi_head_attention(x, 2, causal: true)
              loss l = mean(y)
            }
            """)
        XCTAssertEqual(res.status, 0, res.diagnosticsText)
        let ops = res.graphs[0].nodes.map(\.op)
        XCTAssertEqual(ops.filter { $0 == "attention" }.count, 1)
        XCTAssertFalse(ops.contains("transpose") || ops.contains("softmax"), "\(ops)")
    }

    func testShapeErrorsNameTheOperandAndTheCause() {
        let bad: [(String, String)] = [
            ("attention(q, k, v, heads: 3)", "must be divisible by 3 heads"),
            ("attention(q, k2, v)", "same leading (batch) dimensions"),
            ("attention(q, k, v3)", "same number of keys"),
            ("attention(q, k5, v)", "same number of features"),
            ("attention(q, k, v, bmask)", "additive mask of f32"),
            ("attention(q, k, v, fmask, heads: 2)", "does not broadcast to the scores f32[N, 2, 4, 6]"),
            ("attention(q, k, v, scale: -1.0)", "scale must be positive"),
            ("attention(i, k, v)", "floating-point tensors"),
        ]
        for (call, message) in bad {
            let res = TestCompiler.compile("""
                use attention
                model M {
                  input q: f32[N, 4, 8]
                  input k: f32[N, 6, 8]
                  input v: f32[N, 6, 4]
                  input k2: f32[2, 6, 8]
                  input v3: f32[N, 5, 4]
                  input k5: f32[N, 6, 5]
                  input i: i32[N, 4, 8]
                  input bmask: bool[N, 1, 6]
                  input fmask: f32[N, 3, 4, 6]
                  output y = \(call)
                }
                """)
            XCTAssertEqual(res.status, 1, call)
            XCTAssertTrue(res.diagnosticsText.contains(message), "\(call): \(res.diagnosticsText)")
            XCTAssertTrue(res.diagnosticsText.contains("'attention'"), "\(call): \(res.diagnosticsText)")
        }
    }

    func testBackwardOpChecksItsOperands() throws {
        let graph = Graph(name: "B")
        let b = GraphBuilder(graph: graph, registry: TestCompiler.registry)
        func input(_ n: String, _ s: [Int]) -> Tensor { b.input(name: n, type: TensorType(.f32, s.map { .known($0) }), location: .unknown) }
        let q = input("q", [2, 4, 8]), k = input("k", [2, 6, 8]), v = input("v", [2, 6, 4])
        let probs = input("p", [2, 2, 4, 6]), dOut = input("d", [2, 4, 4])
        XCTAssertEqual(try b.op("attention_backward", [q, k, v, probs, dOut], ["heads": .int(2)]).map(\.type), [q.type, k.type, v.type])
        XCTAssertThrowsError(try b.op("attention_backward", [q, k, v, input("p1", [2, 4, 6]), dOut], ["heads": .int(2)])) {
            XCTAssertTrue("\($0)".contains("probs must be f32[2, 2, 4, 6]"), "\($0)")
        }
        XCTAssertThrowsError(try b.op("attention_backward", [q, k, v, probs, input("d1", [2, 4, 8])], ["heads": .int(2)])) {
            XCTAssertTrue("\($0)".contains("d_out must be f32[2, 4, 4]"), "\($0)")
        }
        XCTAssertThrowsError(try b.op("attention_backward", [q, k, v, probs, dOut, input("dp", [2, 4, 6])], ["heads": .int(2)])) {
            XCTAssertTrue("\($0)".contains("d_probs must be f32[2, 2, 4, 6]"), "\($0)")
        }
    }
}
