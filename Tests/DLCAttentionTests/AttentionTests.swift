import DLCAttention
import DLCCore
import DLCCPU
import DLCDriver
import DLCPasses
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

/// One case of Fixtures/attention.json (made by Fixtures/make_fixtures.py with PyTorch, in f64).
struct TorchCase {
    let name: String
    let inputs: [String: ([Int], [Double])]
    let params: [String: ([Int], [Double])]
    let r: ([Int], [Double])
    let output: [Double]
    let grads: [String: [Double]]
    let inputGrads: [String: [Double]]
    let paddingMask: [[Double]]?

    static let all: [TorchCase] = {
        let url = Repository.root.appendingPathComponent("Tests/DLCAttentionTests/Fixtures/attention.json")
        let json = try! JSONSerialization.jsonObject(with: try! Data(contentsOf: url)) as! [String: Any]
        func tensor(_ any: Any) -> ([Int], [Double]) {
            let d = any as! [String: Any]
            return ((d["shape"] as! [NSNumber]).map(\.intValue), (d["data"] as! [NSNumber]).map(\.doubleValue))
        }
        func tensors(_ any: Any) -> [String: ([Int], [Double])] { (any as! [String: Any]).mapValues(tensor) }
        return (json["cases"] as! [[String: Any]]).map { c in
            TorchCase(name: c["name"] as! String, inputs: tensors(c["inputs"]!), params: tensors(c["params"]!),
                      r: tensor(c["r"]!), output: tensor(c["output"]!).1,
                      grads: tensors(c["grads"]!).mapValues(\.1), inputGrads: tensors(c["input_grads"]!).mapValues(\.1),
                      paddingMask: (c["padding_mask"] as? [[NSNumber]])?.map { $0.map(\.doubleValue) })
        }
    }()

    static func named(_ n: String) -> TorchCase { all.first { $0.name == n }! }
}

/// The `.dlg` source of each fixture case; the layer's scope is `a`.
private func source(of c: TorchCase) -> String {
    let call: String
    var extra = ""
    switch c.name {
    case "mha_self": call = "multi_head_attention(x, 4)"
    case "mha_cross":
        extra = "  input context: f32[2, 7, 16]\n"
        call = "multi_head_attention(x, 4, context: context)"
    case "mha_causal_padded":
        extra = "  input pad: bool[2, 5]\n"
        call = "multi_head_attention(x, 4, causal: true, padding_mask: pad)"
    case "encoder_post_relu": call = "transformer_encoder_layer(x, 4, 32)"
    case "encoder_pre_gelu": call = "transformer_encoder_layer(x, 4, 32, norm_first: true, activation: \"gelu\")"
    default: fatalError(c.name)
    }
    return """
        use attention
        model M {
          input x: f32[2, 5, 16]
          input r: f32[2, 5, 16]
        \(extra)  a = \(call)
          output a
          loss l = sum(a * r)
        }
        """
}

private func paramName(_ n: Node) -> String { n.attributes["name"]!.stringValue! }

/// Compiles, then adds the gradient of the loss with respect to every parameter and every
/// float input as outputs named `d:NAME`.
private func gradientGraph(_ text: String) throws -> Graph {
    let res = TestCompiler.compile(text)
    XCTAssertEqual(res.status, 0, res.diagnosticsText)
    let g = try XCTUnwrap(res.graphs.first)
    let wrt = g.paramNodes + g.inputNodes.filter { g[$0.outputs[0]].type.dtype.isFloat && g[$0.outputs[0]].name != "r" }
    let grads = try Autodiff.differentiate(g, loss: g.losses[0].value, wrt: wrt.map { $0.outputs[0] }, registry: TestCompiler.registry)
    for n in wrt {
        let name = n.op == "param" ? paramName(n) : g[n.outputs[0]].name!
        g.outputs.append(NamedValue(name: "d:" + name, value: try XCTUnwrap(grads[n.outputs[0]]), location: .unknown))
    }
    return g
}

final class AttentionParityTests: XCTestCase {
    enum Backend { case reference, cpu }

    func feeds(_ c: TorchCase) -> (inputs: [String: HostTensor], params: [String: HostTensor]) {
        var inputs: [String: HostTensor] = [:]
        for (k, v) in c.inputs { inputs[k] = HostTensor(shape: v.0, f32: v.1.map(Float.init)) }
        inputs["r"] = HostTensor(shape: c.r.0, f32: c.r.1.map(Float.init))
        if let m = c.paddingMask {
            inputs["pad"] = HostTensor(shape: [m.count, m[0].count], storage: .bool(m.flatMap { $0.map { $0 != 0 } }))
        }
        var params: [String: HostTensor] = [:]
        for (k, v) in c.params { params["a." + k] = HostTensor(shape: v.0, f32: v.1.map(Float.init)) }
        return (inputs, params)
    }

    /// Runs a case and returns the largest absolute difference from PyTorch over the output
    /// and every gradient.
    func check(_ c: TorchCase, on backend: Backend) throws -> Double {
        let g = try gradientGraph(source(of: c))
        let names = Set(g.paramNodes.map(paramName))
        XCTAssertEqual(names, Set(c.params.keys.map { "a." + $0 }), c.name)
        let (inputs, params) = feeds(c)
        var out: [String: HostTensor]
        switch backend {
        case .reference:
            out = try ReferenceInterpreter(registry: TestCompiler.registry)
                .run(g, inputs: inputs, parameters: params, seed: 0, training: false).outputs
        case .cpu:
            let plan = try ExecutionPlan.build(g, bindings: [:], registry: TestCompiler.registry)
            let ex = try Executor(plan: plan)
            try ex.setState(params)
            out = try ex.run(inputs: inputs)
        }
        var worst = 0.0
        func compare(_ got: [Double], _ want: [Double], _ what: String) {
            XCTAssertEqual(got.count, want.count, "\(c.name) \(what)")
            let d = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(d, 1e-4, "\(c.name) \(what) on \(backend)")
            worst = max(worst, d)
        }
        compare(out["a"]!.doubles, c.output, "output")
        for (k, want) in c.grads { compare(try XCTUnwrap(out["d:a." + k], k).doubles, want, "d " + k) }
        for (k, want) in c.inputGrads { compare(try XCTUnwrap(out["d:" + k], k).doubles, want, "d " + k) }
        return worst
    }

    func testParityWithPyTorchOnTheReferenceInterpreter() throws {
        for c in TorchCase.all {
            let d = try check(c, on: .reference)
            print("parity reference \(c.name): max |diff| \(d)")
        }
    }

    func testParityWithPyTorchOnTheCPUBackEnd() throws {
        for c in TorchCase.all {
            let d = try check(c, on: .cpu)
            print("parity cpu \(c.name): max |diff| \(d)")
        }
    }
}

final class AttentionLayerTests: XCTestCase {
    /// models/transformer_block.dlg has nn.TransformerEncoderLayer(128, 4, 512)'s parameters.
    func testTheTransformerBlockHasPyTorchsParameters() throws {
        let res = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/transformer_block.dlg"))
        XCTAssertEqual(res.status, 0, res.diagnosticsText)
        let g = try XCTUnwrap(res.graphs.first)
        let shapes = g.paramNodes.map { "\(paramName($0)) \(g[$0.outputs[0]].type)" }
        XCTAssertEqual(shapes, [
            "out.self_attn.in_proj_weight f32[384, 128]", "out.self_attn.in_proj_bias f32[384]",
            "out.self_attn.out_proj.weight f32[128, 128]", "out.self_attn.out_proj.bias f32[128]",
            "out.linear1.weight f32[512, 128]", "out.linear1.bias f32[512]",
            "out.linear2.weight f32[128, 512]", "out.linear2.bias f32[128]",
            "out.norm1.weight f32[128]", "out.norm1.bias f32[128]", "out.norm2.weight f32[128]", "out.norm2.bias f32[128]",
        ])
        XCTAssertEqual(g.trainableParameterCount, 198_272)  // sum(p.numel() for p in layer.parameters())
        XCTAssertEqual(g.outputs.map { g[$0.value].type.description }, ["f32[N, 128, 128]"])
    }

    func testShapesOfEveryLayer() throws {
        let res = TestCompiler.compile("""
            use attention
            model M {
              input ids: i32[N, 6]
              input mem: f32[N, 9, 16]
              input q: f32[N, 2, 6, 8]
              input k: f32[N, 2, 9, 8]
              input v: f32[N, 2, 9, 4]
              e = token_embedding(ids, 100, 16)
              p = positional_embedding(e, kind: "learned", max_len: 32)
              s = positional_embedding(e)
              enc = transformer_encoder_layer(p, 2, 64, causal: true)
              dec = transformer_decoder_layer(s, mem, 2, 64)
              att = scaled_dot_product_attention(q, k, v)
              cross = multi_head_attention(enc, 4, context: mem)
              output enc
              output dec
              output att
              output cross
            }
            """)
        XCTAssertEqual(res.status, 0, res.diagnosticsText)
        let g = try XCTUnwrap(res.graphs.first)
        XCTAssertEqual(g.outputs.map { g[$0.value].type.description },
                       ["f32[N, 6, 16]", "f32[N, 6, 16]", "f32[N, 2, 6, 4]", "f32[N, 6, 16]"])
        let names = g.paramNodes.map(paramName)
        XCTAssertEqual(names.filter { $0.hasPrefix("dec.") }.count, 4 + 4 + 4 + 6)
        XCTAssertTrue(names.contains("dec.multihead_attn.in_proj_weight"))
        XCTAssertTrue(names.contains("dec.norm3.bias"))
        XCTAssertEqual(names.filter { $0.hasPrefix("e.") || $0.hasPrefix("p.") || $0.hasPrefix("s.") }, ["e.weight", "p.weight"])
    }

    func testErrorsSayWhatIsWrong() {
        let res = TestCompiler.compile("""
            use attention
            model M {
              input x: f32[N, 5, 10]
              output a = multi_head_attention(x, 3)
            }
            """)
        XCTAssertEqual(res.status, 1)
        XCTAssertTrue(res.diagnosticsText.contains("not divisible by 3 heads"), res.diagnosticsText)
        let unused = TestCompiler.compile("""
            model M {
              input x: f32[N, 5, 8]
              output a = multi_head_attention(x, 2)
            }
            """)
        XCTAssertEqual(unused.status, 1)
        XCTAssertTrue(unused.diagnosticsText.contains("attention"), unused.diagnosticsText)
    }

    /// The sinusoidal table is PyTorch tutorials' sin on even and cos on odd features.
    func testSinusoidalTable() throws {
        let res = TestCompiler.compile("""
            use attention
            model M {
              input x: f64[1, 7, 6]
              output y = positional_embedding(x)
            }
            """)
        XCTAssertEqual(res.status, 0, res.diagnosticsText)
        let y = try ReferenceInterpreter(registry: TestCompiler.registry)
            .run(res.graphs[0], inputs: ["x": HostTensor(shape: [1, 7, 6], f64: Array(repeating: 0, count: 42))],
                 parameters: [:], training: false).outputs["y"]!.doubles
        for p in 0..<7 {
            for i in 0..<6 {
                let angle = Double(p) / pow(10000, Double(2 * (i / 2)) / 6)
                XCTAssertEqual(y[p * 6 + i], i % 2 == 0 ? sin(angle) : cos(angle), accuracy: 1e-9)
            }
        }
    }
}

/// f64 models with deterministic parameters, on the reference interpreter.
final class AttentionGradientTests: XCTestCase {
    func randomParams(_ g: Graph, seed: UInt64) -> [String: HostTensor] {
        var rng = RandomSource(seed: seed)
        var out: [String: HostTensor] = [:]
        for n in g.paramNodes {
            let shape = g[n.outputs[0]].type.shape.map { $0.value! }
            out[paramName(n)] = HostTensor(shape: shape, f64: (0..<shape.reduce(1, *)).map { _ in rng.nextDouble() - 0.5 })
        }
        return out
    }

    /// Causal attention: the output at position t does not depend on inputs after t.
    func testCausalMask() throws {
        for call in ["multi_head_attention(x, 2, causal: true)", "transformer_encoder_layer(x, 2, 16, causal: true)",
                     "scaled_dot_product_attention(reshape(x, [2, 2, 6, 4]), reshape(x, [2, 2, 6, 4]), reshape(x, [2, 2, 6, 4]), causal: true)"] {
            let res = TestCompiler.compile("""
                use attention
                model M {
                  input x: f64[2, 6, 8]
                  output y = \(call)
                }
                """)
            XCTAssertEqual(res.status, 0, res.diagnosticsText)
            let g = res.graphs[0]
            let params = randomParams(g, seed: 3)
            var rng = RandomSource(seed: 11)
            let x = (0..<96).map { _ in rng.nextDouble() * 2 - 1 }
            let interp = ReferenceInterpreter(registry: TestCompiler.registry)
            func run(_ v: [Double]) throws -> [Double] {
                try interp.run(g, inputs: ["x": HostTensor(shape: [2, 6, 8], f64: v)], parameters: params, training: false).outputs["y"]!.doubles
            }
            let base = try run(x)
            let perRow = base.count / 12  // elements per (batch, position) row
            for t in 0..<5 {
                var changed = x
                for n in 0..<2 { for j in (t + 1) * 8 ..< 48 { changed[n * 48 + j] += 0.7 } }
                let y = try run(changed)
                let rowsPerBatch = 6
                for n in 0..<2 {
                    for p in 0..<rowsPerBatch {
                        let range = (n * rowsPerBatch + p) * perRow ..< (n * rowsPerBatch + p + 1) * perRow
                        let d = zip(base[range], y[range]).map { abs($0 - $1) }.max()!
                        if p <= t { XCTAssertEqual(d, 0, accuracy: 1e-12, "\(call): position \(p) changed with inputs after \(t)") }
                        else if p == t + 1 { XCTAssertGreaterThan(d, 1e-6, "\(call): position \(p) ignores its own input") }
                    }
                }
            }
        }
    }

    /// Gradients through the layers against central differences, in f64.
    func testGradientsMatchFiniteDifferences() throws {
        for call in ["transformer_encoder_layer(x, 2, 12, causal: true, padding_mask: pad)",
                     "transformer_encoder_layer(x, 2, 12, norm_first: true, activation: \"gelu\")",
                     "transformer_decoder_layer(x, m, 2, 12)",
                     "multi_head_attention(x, 2, context: m, padding_mask: mpad) |> positional_embedding(kind: \"learned\", max_len: 8)"] {
            let text = """
                use attention
                model M {
                  input x: f64[2, 4, 6]
                  input m: f64[2, 3, 6]
                  input r: f64[2, 4, 6]
                  input pad: f64[2, 4]
                  input mpad: bool[2, 3]
                  a = \(call)
                  output a
                  loss l = sum(a * r) + 0 * sum(m) + 0 * sum(pad)
                }
                """
            let g = try gradientGraph(text)
            let params = randomParams(g, seed: 5)
            var rng = RandomSource(seed: 9)
            func rand(_ shape: [Int]) -> HostTensor {
                HostTensor(shape: shape, f64: (0..<shape.reduce(1, *)).map { _ in rng.nextDouble() * 2 - 1 })
            }
            var inputs = ["x": rand([2, 4, 6]), "m": rand([2, 3, 6]), "r": rand([2, 4, 6]),
                          "pad": HostTensor(shape: [2, 4], f64: [0, 0, 0, 0, 0, 0, 0, -1e9]),
                          "mpad": HostTensor(shape: [2, 3], storage: .bool([false, false, false, false, true, false]))]
            let interp = ReferenceInterpreter(registry: TestCompiler.registry)
            let analytic = try interp.run(g, inputs: inputs, parameters: params, training: false).outputs
            func loss(_ inputs: [String: HostTensor], _ params: [String: HostTensor]) throws -> Double {
                try interp.run(g, inputs: inputs, parameters: params, training: false).losses["l"]!.doubles[0]
            }
            let h = 1e-6
            func perturbed(_ t: HostTensor, _ k: Int, _ d: Double) -> HostTensor {
                var v = t.doubles
                v[k] += d
                return HostTensor(shape: t.shape, f64: v)
            }
            var checked = 0
            for (name, t) in params.sorted(by: { $0.key < $1.key }) {
                let grad = try XCTUnwrap(analytic["d:" + name], name).doubles
                for k in Set([0, t.doubles.count / 2, t.doubles.count - 1]).sorted() {
                    var p1 = params, p2 = params
                    p1[name] = perturbed(t, k, h)
                    p2[name] = perturbed(t, k, -h)
                    let numeric = (try loss(inputs, p1) - loss(inputs, p2)) / (2 * h)
                    XCTAssertEqual(grad[k], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(call): \(name)[\(k)]")
                    checked += 1
                }
            }
            for name in ["x", "m"] {
                let t = inputs[name]!, grad = try XCTUnwrap(analytic["d:" + name], name).doubles
                for k in [0, 7, t.doubles.count - 1] {
                    var i1 = inputs, i2 = inputs
                    i1[name] = perturbed(t, k, h)
                    i2[name] = perturbed(t, k, -h)
                    let numeric = (try loss(i1, params) - loss(i2, params)) / (2 * h)
                    XCTAssertEqual(grad[k], numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(call): d\(name)[\(k)]")
                    checked += 1
                }
            }
            inputs["x"] = nil
            XCTAssertGreaterThan(checked, 10)
        }
    }
}
