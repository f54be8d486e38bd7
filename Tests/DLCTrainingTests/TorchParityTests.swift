// Parity with PyTorch for one training step (issue 3): for fixed weights and a fixed batch of 8,
// the loss, the softmax outputs, every gradient, and every parameter after one SGD-momentum step
// (lr 0.01, momentum 0.9) and after one Adam step (lr 1e-3, PyTorch's defaults) of
// models/mlp.dlg and models/lenet5.dlg agree with PyTorch's. The expected numbers are in
// Fixtures/torch_parity_<model>.json, written by Fixtures/make_torch_parity.py (PyTorch from PyPI
// in a virtual environment; the script's docstring says how to re-create them). Weights and
// batch are not stored: both sides generate them with the same integer hash (`generate`), and
// the fixture's statistics of the initial weights check that they did.
//
// Tolerance (rtol = 1e-4, the issue's bound; never loosened to make a case pass):
// - an element a (dlc) against b (PyTorch): |a − b| ≤ rtol · max(|b|, 0.01 · max|B|), where
//   max|B| is the largest magnitude in PyTorch's whole tensor (the absolute floor: an element
//   at 1% of its tensor's scale or less is held to 1e-6 of that scale);
// - the loss: |a − b| ≤ rtol · |b|;
// - statistics of a whole tensor (every element, not only the stored sample): sum of |x|, sum
//   of squares and max |x| within rtol relative; the plain sum within rtol · max(|sum|, 0.01 · Σ|x|)
//   (sums of gradients cancel: the logits bias gradient sums to zero);
// - the movement of a sampled parameter, new − initial, within rtol · max(|Δb|, 0.01 · max|ΔB|)
//   plus one float32 ulp of the new value (both sides round the new parameter to float32, half an
//   ulp each; for SGD the movement, lr·g ≈ 1e-7, is only a few hundred ulps of the parameter).
// The CPU back end (f32) is checked; the reference interpreter runs the same graph as well.
import DLCCore
import DLCCPU
import DLCReference
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

final class TorchParityTests: XCTestCase {
    static let rtol = 1e-4
    static let floorFraction = 0.01

    struct Generated: Decodable {
        var name: String
        var seed: UInt64
        var bound: Double
        var shape: [Int]?
    }

    struct Record: Decodable {
        var shape: [Int]
        var sum: Double
        var abs_sum: Double
        var sum_sq: Double
        var max_abs: Double
        var indices: [Int]
        var values: [Double]
    }

    struct Fixture: Decodable {
        var model: String
        var batch: Int
        var labels: [Int32]
        var input: Generated
        var parameters: [Generated]
        var loss: Double
        var torch: String
        var tensors: [String: Record]
    }

    /// Element i of a generated tensor: SplitMix64 of (seed·2³² + i + 1), its top 24 bits as
    /// u in [0, 1), and float32(bound · (2u − 1)) — exactly what make_torch_parity.py computes.
    static func generate(count: Int, seed: UInt64, bound: Double) -> [Float] {
        (0..<count).map { i in
            var z = ((seed << 32) &+ UInt64(i) &+ 1) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let u = Double(z >> 40) / Double(1 << 24)
            return Float(bound * (2 * u - 1))
        }
    }

    func fixture(_ name: String) throws -> Fixture {
        let url = Repository.root.appendingPathComponent("Tests/DLCTrainingTests/Fixtures/torch_parity_\(name).json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// The worst error of each compared quantity (error / allowed, so ≤ 1 passes) and the
    /// largest plain relative error |a − b| / |b| over the compared elements, for the report.
    struct Tally {
        var worst: [String: (ratio: Double, relative: Double, what: String)] = [:]
        mutating func note(_ quantity: String, ratio: Double, relative: Double, what: String) {
            let old = worst[quantity] ?? (0, 0, "")
            worst[quantity] = (max(old.ratio, ratio), max(old.relative, relative), ratio > old.ratio ? what : old.what)
        }
    }

    /// Compares dlc's tensor `actual` with PyTorch's record under the rules above.
    func compare(_ actual: HostTensor, _ expected: Record, _ what: String, quantity: String, tally: inout Tally,
                 initial: [Float]? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let rtol = Self.rtol
        XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
        guard case .f32(let a) = actual.storage, a.count == expected.shape.reduce(1, *) else {
            XCTFail("\(what): expected f32\(expected.shape), found \(actual.dtype)\(actual.shape)", file: file, line: line)
            return
        }
        // Elements of the sample.
        let floor = max(Self.floorFraction * expected.max_abs, 1e-30)
        var worst = (ratio: 0.0, relative: 0.0, at: 0, a: 0.0, b: 0.0)
        for (i, b) in zip(expected.indices, expected.values) {
            let b = Double(Float(b)), x = Double(a[i])  // the fixture holds float32 values in shortest decimal form
            let err = abs(x - b), ratio = err / (rtol * max(abs(b), floor))
            if !(ratio <= worst.ratio) {
                worst = (ratio.isNaN ? .infinity : ratio, 0, i, x, b)
            }
            if b != 0 { worst.relative = max(worst.relative, err / abs(b)) }
        }
        XCTAssertLessThanOrEqual(worst.ratio, 1, "\(what)[\(worst.at)]: dlc \(worst.a), PyTorch \(worst.b)", file: file, line: line)
        tally.note(quantity, ratio: worst.ratio, relative: worst.relative, what: "\(what)[\(worst.at)]: dlc \(worst.a), PyTorch \(worst.b)")

        // Statistics of the whole tensor.
        var sum = 0.0, absSum = 0.0, sumSq = 0.0, maxAbs = 0.0
        for v in a {
            let d = Double(v)
            sum += d; absSum += abs(d); sumSq += d * d; maxAbs = max(maxAbs, abs(d))
        }
        for (name, x, b, scale) in [("sum", sum, expected.sum, max(abs(expected.sum), Self.floorFraction * expected.abs_sum)),
                                    ("sum |x|", absSum, expected.abs_sum, abs(expected.abs_sum)),
                                    ("sum x²", sumSq, expected.sum_sq, abs(expected.sum_sq)),
                                    ("max |x|", maxAbs, expected.max_abs, abs(expected.max_abs))] {
            let ratio = abs(x - b) / (rtol * max(scale, 1e-30))
            XCTAssertLessThanOrEqual(ratio, 1, "\(what): \(name): dlc \(x), PyTorch \(b)", file: file, line: line)
            tally.note("\(quantity) (statistics)", ratio: ratio, relative: b == 0 ? 0 : abs(x - b) / abs(b),
                       what: "\(what) \(name): dlc \(x), PyTorch \(b)")
        }

        // Movement of a parameter: new − initial.
        guard let w0 = initial else { return }
        var moves: [(i: Int, a: Double, b: Double, ulp: Double)] = []
        for (i, v) in zip(expected.indices, expected.values) {
            let b = Float(v), before = Double(w0[i])
            moves.append((i, Double(a[i]) - before, Double(b) - before, Double(max(b.ulp, a[i].ulp))))
        }
        let maxMove = moves.map { abs($0.b) }.max() ?? 0
        var worstMove = (ratio: 0.0, relative: 0.0, text: "")
        for m in moves {
            let err = abs(m.a - m.b), allowed = rtol * max(abs(m.b), Self.floorFraction * maxMove) + m.ulp
            let ratio = err / max(allowed, 1e-30)
            if !(ratio <= worstMove.ratio) {
                worstMove.ratio = ratio.isNaN ? .infinity : ratio
                worstMove.text = "\(what)[\(m.i)] movement: dlc \(m.a), PyTorch \(m.b)"
            }
            if m.b != 0 { worstMove.relative = max(worstMove.relative, err / abs(m.b)) }
        }
        XCTAssertLessThanOrEqual(worstMove.ratio, 1, worstMove.text, file: file, line: line)
        tally.note("\(quantity) movement", ratio: worstMove.ratio, relative: worstMove.relative, what: worstMove.text)
    }

    /// One training step of the fixture's model with `optimizer` on the CPU back end and on the
    /// reference interpreter, compared with PyTorch.
    func checkStep(_ name: String, optimizer: OptimizerConfig, prefix: String, tally: inout Tally,
                   file: StaticString = #filePath, line: UInt = #line) throws {
        let fx = try fixture(name)
        let compiled = try TestCompiler.compile(file: Repository.root.appendingPathComponent(fx.model))
        XCTAssertEqual(compiled.status, 0, compiled.diagnosticsText, file: file, line: line)
        let g = try XCTUnwrap(compiled.graphs.first)
        let step = try TrainingGraph.build(g, options: TrainingOptions(optimizer: optimizer), registry: TestCompiler.registry)
        XCTAssertEqual(Set(step.gradients.keys), Set(fx.parameters.map(\.name)), "\(name): trainable parameters",
                       file: file, line: line)
        let location = g.losses[0].location
        for (param, grad) in step.gradients.sorted(by: { $0.key < $1.key }) {
            g.outputs.append(NamedValue(name: "grad.\(param)", value: grad, location: location))
        }

        // The same weights and batch as PyTorch's.
        var state = ParameterInitializer.initialize(g, seed: 0)  // optimizer moments (zeros) and the step count
        var initial: [String: [Float]] = [:]
        for p in fx.parameters {
            let shape = try XCTUnwrap(state[p.name], "\(name): no parameter \(p.name)").shape
            let w = Self.generate(count: shape.reduce(1, *), seed: p.seed, bound: p.bound)
            initial[p.name] = w
            state[p.name] = HostTensor(shape: shape, f32: w)
            compare(state[p.name]!, fx.tensors["init.\(p.name)"]!, "\(name): initial \(p.name)", quantity: "initial weights",
                    tally: &tally, file: file, line: line)
        }
        let inputShape = try XCTUnwrap(fx.input.shape)
        let feed: [String: HostTensor] = [
            fx.input.name: HostTensor(shape: inputShape, f32: Self.generate(count: inputShape.reduce(1, *), seed: fx.input.seed,
                                                                             bound: fx.input.bound)),
            "label": HostTensor(shape: [fx.batch], storage: .i32(fx.labels)),
            TrainingGraph.learningRateInput: HostTensor(shape: [], f32: [Float(optimizer.lr)]),
        ]
        compare(feed[fx.input.name]!, fx.tensors["input"]!, "\(name): input", quantity: "initial weights", tally: &tally,
                file: file, line: line)

        let plan = try ExecutionPlan.build(g, bindings: ["N": fx.batch], registry: TestCompiler.registry, training: true)
        let ex = try Executor(plan: plan)
        try ex.setState(state)
        let cpu = try ex.run(inputs: feed)
        let ref = try ReferenceInterpreter(registry: TestCompiler.registry).run(g, inputs: feed, parameters: state, training: true)

        for (backend, outputs, updated) in [("cpu", cpu, { (p: String) in try ex.state(named: p) }),
                                            ("reference", ref.outputs, { (p: String) in try XCTUnwrap(ref.updates[p]) })] {
            let what = "\(name) \(prefix) \(backend)"
            let loss = try XCTUnwrap(outputs[TrainingGraph.lossOutput]).doubles[0]
            let lossRatio = abs(loss - fx.loss) / (Self.rtol * abs(fx.loss))
            XCTAssertLessThanOrEqual(lossRatio, 1, "\(what): loss: dlc \(loss), PyTorch \(fx.loss)", file: file, line: line)
            tally.note("\(backend) loss", ratio: lossRatio, relative: abs(loss - fx.loss) / abs(fx.loss),
                       what: "\(what): dlc \(loss), PyTorch \(fx.loss)")
            compare(try XCTUnwrap(outputs["probs"]), fx.tensors["probs"]!, "\(what): probs", quantity: "\(backend) probs",
                    tally: &tally, file: file, line: line)
            for p in fx.parameters {
                compare(try XCTUnwrap(outputs["grad.\(p.name)"]), fx.tensors["grad.\(p.name)"]!, "\(what): grad.\(p.name)",
                        quantity: "\(backend) gradients", tally: &tally, file: file, line: line)
                compare(try updated(p.name), fx.tensors["\(prefix).\(p.name)"]!, "\(what): \(p.name) after the step",
                        quantity: "\(backend) \(prefix) parameters", tally: &tally, initial: initial[p.name], file: file, line: line)
            }
        }
    }

    func check(_ name: String) throws {
        var tally = Tally()
        var sgd = OptimizerConfig(kind: .sgd, lr: 0.01)
        sgd.momentum = 0.9
        try checkStep(name, optimizer: sgd, prefix: "sgd", tally: &tally)
        try checkStep(name, optimizer: OptimizerConfig(kind: .adam, lr: 1e-3), prefix: "adam", tally: &tally)
        let fx = try fixture(name)
        print("\(fx.model) against PyTorch \(fx.torch) (error / allowed; largest |a − b| / |b|; worst element):")
        for (quantity, w) in tally.worst.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %-36@ %.3g  %.3g  %@", quantity as NSString, w.ratio, w.relative, w.what as NSString))
        }
    }

    func testMLPTrainingStepMatchesPyTorch() throws { try check("mlp") }

    func testLeNet5TrainingStepMatchesPyTorch() throws { try check("lenet5") }
}
