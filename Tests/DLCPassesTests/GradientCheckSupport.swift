// Finite-difference gradient checks: a tiny f64 graph (inputs → op → Σ output·R with a fixed
// random R), differentiated with Autodiff.differentiate, run by the reference interpreter,
// and compared element by element with (f(x + h) − f(x − h)) / 2h.
import DLCCore
import DLCOps
import DLCPasses
import DLCReference
import XCTest

/// A registry with the built-in plugin and the standard passes; the reference kernel table
/// with the backward kernels.
let gradRegistry: Registry = {
    let r = Registry()
    try! r.install(builtinPlugin)
    try! r.install(standardPassesPlugin)
    registerBackwardKernels(ReferenceKernels.standard)
    return r
}()

/// Deterministic values in [lo, hi).
func uniform(_ shape: [Int], _ lo: Double = -1, _ hi: Double = 1, seed: UInt64) -> HostTensor {
    var rng = RandomSource(seed: seed)
    return HostTensor(shape: shape, f64: (0..<shape.reduce(1, *)).map { _ in lo + (hi - lo) * rng.nextDouble() })
}

/// One gradient check: an op (or a layer without parameters) applied to operands.
struct GradCase: CustomStringConvertible {
    var op: String
    var operands: [HostTensor]
    var attributes: Attributes = [:]
    /// Types of the graph inputs when not the operands' own (symbolic dimensions).
    var types: [TensorType]? = nil
    var layer = false
    var label = ""

    init(_ op: String, _ operands: [HostTensor], _ attributes: Attributes = [:], types: [TensorType]? = nil,
         layer: Bool = false, label: String = "") {
        self.op = op
        self.operands = operands
        self.attributes = attributes
        self.types = types
        self.layer = layer
        self.label = label
    }

    var description: String {
        "\(op)(\(operands.map(\.description).joined(separator: ", "))) \(attributes)\(label.isEmpty ? "" : " [\(label)]")"
    }

    /// Builds inputs x0…, the op, and the loss Σᵢ sum(yᵢ · rᵢ) with inputs rᵢ; returns the graph,
    /// the loss, the operand values and the weights to feed.
    func build(dtype: DType? = nil) throws -> (Graph, ValueID, [ValueID], [String: HostTensor]) {
        let graph = Graph(name: "Check")
        let b = GraphBuilder(graph: graph, registry: gradRegistry)
        var feeds: [String: HostTensor] = [:]
        var xs: [Tensor] = []
        for (i, t) in operands.enumerated() {
            var type = types?[i] ?? t.type
            if let dtype, type.dtype.isFloat { type = type.with(dtype: dtype) }
            xs.append(b.input(name: "x\(i)", type: type, location: .unknown))
            feeds["x\(i)"] = t
        }
        let ys = layer ? try b.layer(op, scope: "l", xs, attributes) : try b.op(op, xs, attributes)
        var loss: Tensor?
        for (i, y) in ys.enumerated() {
            let r = b.input(name: "r\(i)", type: y.type, location: .unknown)
            feeds["r\(i)"] = uniform(y.type.shape.map { $0.value ?? operands[0].shape[0] }, seed: 1000 + UInt64(i))
            let term = try b.op1("sum", [try b.op1("mul", [y, r])])
            loss = try loss.map { try b.op1("add", [$0, term]) } ?? term
        }
        graph.losses = [NamedValue(name: "loss", value: loss!.id, location: .unknown)]
        return (graph, loss!.id, xs.map(\.id), feeds)
    }
}

/// Runs a graph's loss with the reference interpreter.
func evaluate(_ graph: Graph, _ feeds: [String: HostTensor]) throws -> ReferenceResult {
    try ReferenceInterpreter(registry: gradRegistry).run(graph, inputs: feeds, parameters: [:], seed: 42, training: true)
}

/// How many partial derivatives the checks compared (reported by the test).
var checkedElements = 0

/// Checks the gradient of every floating-point operand of a case against central differences.
func checkGradient(_ c: GradCase, h: Double = 1e-6, tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line) throws {
    let (graph, loss, xs, feeds) = try c.build()
    let grads = try Autodiff.differentiate(graph, loss: loss, wrt: xs, registry: gradRegistry)
    for (i, g) in grads { graph.outputs.append(NamedValue(name: "g\(xs.firstIndex(of: i)!)", value: g, location: .unknown)) }
    XCTAssertFalse(grads.isEmpty, "\(c): no gradient at all", file: file, line: line)
    let analytic = try evaluate(graph, feeds)
    let (plain, plainLoss, _, _) = try c.build()
    _ = plainLoss
    for (i, x) in c.operands.enumerated() where x.dtype.isFloat {
        let got = analytic.outputs["g\(i)"]?.doubles ?? Array(repeating: 0, count: x.count)
        XCTAssertEqual(got.count, x.count, "\(c): gradient size of operand \(i)", file: file, line: line)
        var values = x.doubles
        for k in 0..<values.count {
            let saved = values[k]
            func f(_ v: Double) throws -> Double {
                values[k] = v
                var fed = feeds
                fed["x\(i)"] = HostTensor(shape: x.shape, f64: values)
                return try evaluate(plain, fed).losses["loss"]!.doubles[0]
            }
            let numeric = (try f(saved + h) - f(saved - h)) / (2 * h)
            values[k] = saved
            checkedElements += 1
            let a = got[k]
            if !(abs(a - numeric) <= tolerance * max(1, abs(numeric))) {
                XCTFail("\(c): d loss / d x\(i)[\(k)] is \(a), finite differences give \(numeric)", file: file, line: line)
                return
            }
        }
    }
}
