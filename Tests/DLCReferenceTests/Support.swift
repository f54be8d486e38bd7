// Helpers for the reference tests: run one op through a graph and the interpreter, compare arrays.
import DLCCore
import DLCOps
@testable import DLCReference
import XCTest

/// A registry with the built-in plugin.
let testRegistry: Registry = {
    let r = Registry()
    try! r.install(builtinPlugin)
    return r
}()

/// f32 tensor shorthand.
func f32(_ shape: [Int], _ values: [Double]) -> HostTensor { HostTensor(shape: shape, f32: values.map(Float.init)) }
/// f64 tensor shorthand.
func f64(_ shape: [Int], _ values: [Double]) -> HostTensor { HostTensor(shape: shape, f64: values) }
func i64(_ shape: [Int], _ values: [Int64]) -> HostTensor { HostTensor(shape: shape, storage: .i64(values)) }
func i32(_ shape: [Int], _ values: [Int32]) -> HostTensor { HostTensor(shape: shape, storage: .i32(values)) }
func bools(_ shape: [Int], _ values: [Bool]) -> HostTensor { HostTensor(shape: shape, storage: .bool(values)) }

/// Runs one op on the given operands (graph inputs `x0`, `x1`, …) through the whole path:
/// shape rule, graph, interpreter.
func runOp(_ op: String, _ inputs: [HostTensor], _ attributes: Attributes = [:],
           seed: UInt64 = 0, training: Bool = true) throws -> [HostTensor] {
    let graph = Graph(name: "T")
    let b = GraphBuilder(graph: graph, registry: testRegistry)
    var feeds: [String: HostTensor] = [:]
    var tensors: [Tensor] = []
    for (i, t) in inputs.enumerated() {
        tensors.append(b.input(name: "x\(i)", type: t.type, location: .unknown))
        feeds["x\(i)"] = t
    }
    let outs = try b.op(op, tensors, attributes)
    for (i, o) in outs.enumerated() { graph.outputs.append(NamedValue(name: "y\(i)", value: o.id, location: .unknown)) }
    let r = try ReferenceInterpreter(registry: testRegistry).run(graph, inputs: feeds, parameters: [:], seed: seed, training: training)
    return outs.indices.map { r.outputs["y\($0)"]! }
}

/// The single result of an op.
func run1(_ op: String, _ inputs: [HostTensor], _ attributes: Attributes = [:],
          seed: UInt64 = 0, training: Bool = true) throws -> HostTensor {
    try runOp(op, inputs, attributes, seed: seed, training: training)[0]
}

/// Elementwise closeness with a relative and absolute tolerance (NaNs must match).
func assertClose(_ actual: HostTensor, _ shape: [Int], _ expected: [Double], tol: Double = 1e-6,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, shape, "shape", file: file, line: line)
    let a = actual.doubles
    XCTAssertEqual(a.count, expected.count, "count", file: file, line: line)
    for (i, (x, y)) in zip(a, expected).enumerated() {
        if x.isNaN && y.isNaN { continue }
        if x == y { continue }
        if !(abs(x - y) <= tol * max(1, abs(y))) {
            XCTFail("element \(i): \(x) vs expected \(y) (shape \(shape))", file: file, line: line)
            return
        }
    }
}
