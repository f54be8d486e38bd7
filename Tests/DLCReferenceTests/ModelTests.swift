// Whole models compiled from .dlg text through the interpreter.
import DLCCore
@testable import DLCReference
import _DLCTestSupport
import XCTest

final class ModelTests: XCTestCase {
    /// The "Zoo" model of docs/language.md: every layer family, dropout, batchnorm, random ops.
    let zoo = """
    model Zoo {
      input image: f32[N, 3, 32, 32]
      input tokens: i64[N, 12]
      input label: i32[N]
      c = conv2d(image, 8, kernel: 3, padding: same, stride: 2, weight_init: he_normal, bias_init: zeros)
      up = conv_transpose2d(c, 4, kernel: 2, stride: 2)
      p = maxpool2d(up, 2) |> avgpool2d(kernel: 2, stride: 1, padding: 1) |> local_response_norm
      g = global_avgpool(p) |> flatten
      e = embedding(tokens, 100, 16, weight_init: [normal, 0.0, 0.02])
      seq, last = gru(e, 32)
      outs, h, cell = lstm(e, 32, reverse: true)
      r, hr = rnn(e, 32, nonlinearity: relu)
      pooled = mean(outs, axes: 1) + max(r, axes: 1) + squeeze(slice(seq, 1, 0, 1), axes: 1)
      z = concat(layernorm(last), batchnorm(pooled), g, axis: 1) |> dropout(rate: 0.1)
      logits = dense(z, 10)
      noise = random_normal([N, 10], std: 0.01)
      output pred = argmax(logits + noise)
      loss ce = cross_entropy(logits, label) + 0.001 * l2_penalty(logits)
    }
    """

    func testZooRunsInTrainingAndInference() throws {
        let compiled = TestCompiler.compile(zoo)
        XCTAssertEqual(compiled.status, 0, compiled.diagnosticsText)
        let graph = try XCTUnwrap(compiled.graphs.first)
        var rng = RandomSource(seed: 2)
        let n = 2
        let inputs: [String: HostTensor] = [
            "image": HostTensor(shape: [n, 3, 32, 32], f32: (0..<(n * 3 * 1024)).map { _ in Float(rng.nextDouble()) }),
            "tokens": HostTensor(shape: [n, 12], storage: .i64((0..<(n * 12)).map { _ in Int64(rng.nextDouble() * 100) })),
            "label": HostTensor(shape: [n], storage: .i32([3, 9])),
        ]
        let interp = ReferenceInterpreter(registry: TestCompiler.registry)
        let params = ParameterInitializer.initialize(graph, seed: 4)
        let train = try interp.run(graph, inputs: inputs, parameters: params, seed: 1, training: true)
        XCTAssertEqual(train.outputs["pred"]?.shape, [n])
        XCTAssertEqual(train.outputs["pred"]?.dtype, .i64)
        let ce = try XCTUnwrap(train.losses["ce"]).doubles[0]
        XCTAssertTrue(ce.isFinite && ce > 0, "\(ce)")
        XCTAssertEqual(try interp.run(graph, inputs: inputs, parameters: params, seed: 1).losses["ce"], train.losses["ce"])
        let infer = try interp.run(graph, inputs: inputs, parameters: params, seed: 1, training: false)
        XCTAssertNotEqual(infer.losses["ce"], train.losses["ce"])   // dropout and batch statistics differ
        // Every value was computed, with its graph type's dtype and a concrete shape of the same rank.
        for v in graph.values {
            let t = try XCTUnwrap(train.values[v.id])
            XCTAssertEqual(t.dtype, v.type.dtype)
            XCTAssertEqual(t.shape.count, v.type.rank)
        }
    }

    func testUpdatesAndConstants() throws {
        let compiled = TestCompiler.compile("""
        model M {
          input x: f32[N, 3]
          y = dense(x, 2)
          output out = y * 2.0 + 1.0
        }
        """)
        XCTAssertEqual(compiled.status, 0, compiled.diagnosticsText)
        let graph = try XCTUnwrap(compiled.graphs.first)
        let w = HostTensor(shape: [2, 3], f32: [1, 0, 0, 0, 1, 0])
        let b = HostTensor(shape: [2], f32: [0.5, -0.5])
        let names = graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue }.sorted()
        XCTAssertEqual(names, ["bias", "weight"].map { names.first!.replacingOccurrences(of: "bias", with: "") + $0 })
        let wName = names[1], bName = names[0]
        let outValue = try XCTUnwrap(graph.outputs.first).value
        graph.updates.append(NamedValue(name: wName, value: outValue, location: .unknown))
        let r = try ReferenceInterpreter(registry: TestCompiler.registry)
            .run(graph, inputs: ["x": HostTensor(shape: [1, 3], f32: [1, 2, 3])], parameters: [wName: w, bName: b])
        // (x·wᵀ + b)·2 + 1 = ([1, 2] + [0.5, -0.5])·2 + 1 = [4, 4]
        XCTAssertEqual(r.outputs["out"], HostTensor(shape: [1, 2], f32: [4, 4]))
        XCTAssertEqual(r.updates[wName], r.outputs["out"])
    }

    func testParameterInitializerFollowsPyTorchBounds() throws {
        let compiled = TestCompiler.compile("""
        model M {
          input x: f32[N, 1, 8, 8]
          c = conv2d(x, 4, kernel: 3)
          h = dense(flatten(c), 50, weight_init: he_normal)
          output o = dense(h, 20, weight_init: glorot_uniform, bias_init: zeros)
        }
        """)
        XCTAssertEqual(compiled.status, 0, compiled.diagnosticsText)
        let graph = try XCTUnwrap(compiled.graphs.first)
        let p = ParameterInitializer.initialize(graph, seed: 0)
        XCTAssertEqual(p, ParameterInitializer.initialize(graph, seed: 0))
        XCTAssertNotEqual(p, ParameterInitializer.initialize(graph, seed: 1))
        func param(_ suffix: String, _ shape: [Int]) throws -> [Double] {
            let t = try XCTUnwrap(p.first { $0.key.hasSuffix(suffix) && $0.value.shape == shape }?.value, suffix)
            return t.doubles
        }
        // conv2d default: U(±1/√(1·3·3)) for weight and bias.
        XCTAssertTrue(try param("weight", [4, 1, 3, 3]).allSatisfy { abs($0) <= 1.0 / 3 })
        XCTAssertTrue(try param("bias", [4]).allSatisfy { abs($0) <= 1.0 / 3 })
        // he_normal: std √(2/fan_in) with fan_in 144.
        let he = try param("weight", [50, 144])
        let std = (he.reduce(0) { $0 + $1 * $1 } / Double(he.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 144).squareRoot(), accuracy: 0.01)
        // glorot_uniform: U(±√(6/(50 + 20))); zeros bias.
        XCTAssertTrue(try param("weight", [20, 50]).allSatisfy { abs($0) <= (6.0 / 70).squareRoot() })
        XCTAssertEqual(try param("bias", [20]), Array(repeating: 0, count: 20))
    }
}
