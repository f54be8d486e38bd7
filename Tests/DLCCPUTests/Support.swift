// Helpers of the CPU back-end tests: compiling models and small graphs, random inputs,
// running both the executor and the reference interpreter, and comparing results.
import DLCCore
import DLCCPU
import DLCDriver
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

enum CPUTest {
    static var registry: Registry { TestCompiler.registry }

    /// The graph of a model file of the repository (`models/mlp.dlg`).
    static func model(_ path: String) throws -> Graph {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent(path))
        guard r.status == 0, let g = r.graphs.first else { throw DLCError("\(path) does not compile: \(r.diagnosticsText)") }
        return g
    }

    /// The first model of inline source.
    static func graph(_ source: String) throws -> Graph {
        let r = TestCompiler.compile(source)
        guard r.status == 0, let g = r.graphs.first else { throw DLCError("does not compile: \(r.diagnosticsText)") }
        return g
    }

    /// Deterministic pseudo-random tensor of a type (labels in 0..<classes for integers).
    static func random(_ dtype: DType, _ shape: [Int], seed: UInt64, classes: Int = 10, positive: Bool = false) -> HostTensor {
        var rng = RandomSource(seed: seed)
        let n = shape.reduce(1, *)
        switch dtype {
        case .f32: return HostTensor(shape: shape, f32: (0..<n).map { _ in Float(positive ? rng.nextDouble() * 0.9 + 0.05 : rng.nextDouble() * 2 - 1) })
        case .f64: return HostTensor(shape: shape, f64: (0..<n).map { _ in positive ? rng.nextDouble() * 0.9 + 0.05 : rng.nextDouble() * 2 - 1 })
        case .i32: return HostTensor(shape: shape, storage: .i32((0..<n).map { _ in Int32(rng.next() % UInt64(classes)) }))
        case .i64: return HostTensor(shape: shape, storage: .i64((0..<n).map { _ in Int64(rng.next() % UInt64(classes)) }))
        case .bool: return HostTensor(shape: shape, storage: .bool((0..<n).map { _ in rng.next() % 2 == 0 }))
        }
    }

    /// Inputs for every `input` node of a graph under bindings.
    static func inputs(_ g: Graph, bindings: [String: Int], seed: UInt64, positive: Bool = false) -> [String: HostTensor] {
        var out: [String: HostTensor] = [:]
        for (i, node) in g.inputNodes.enumerated() {
            let t = g[node.outputs[0]].type
            let shape = t.shape.map { d -> Int in d.value ?? bindings[d.description] ?? 1 }
            let name = node.attributes["name"]?.stringValue ?? g[node.outputs[0]].name!
            out[name] = random(t.dtype, shape, seed: seed &+ UInt64(i), positive: positive)
        }
        return out
    }

    /// Runs the graph on the CPU back end and on the reference; returns both results.
    static func both(_ g: Graph, bindings: [String: Int], seed: UInt64 = 1, training: Bool = false,
                     positive: Bool = false) throws -> (cpu: [String: HostTensor], ref: [String: HostTensor]) {
        let inputs = inputs(g, bindings: bindings, seed: seed, positive: positive)
        let params = ParameterInitializer.initialize(g, seed: seed)
        let plan = try ExecutionPlan.build(g, bindings: bindings, registry: registry, training: training)
        let ex = try Executor(plan: plan)
        try ex.setState(params)
        let cpu = try ex.run(inputs: inputs)
        let r = try ReferenceInterpreter(registry: registry).run(g, inputs: inputs, parameters: params, seed: seed, training: training)
        return (cpu, r.outputs.merging(r.losses) { a, _ in a })
    }

    /// Asserts that every result agrees within a relative tolerance (absolute near zero).
    static func assertClose(_ a: [String: HostTensor], _ b: [String: HostTensor], tolerance: Double,
                            _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), what, file: file, line: line)
        for (name, x) in a {
            guard let y = b[name] else { continue }
            XCTAssertEqual(x.shape, y.shape, "\(what): \(name) shape", file: file, line: line)
            XCTAssertEqual(x.dtype, y.dtype, "\(what): \(name) dtype", file: file, line: line)
            let u = x.doubles, v = y.doubles
            guard u.count == v.count else { continue }
            var worst = 0.0, at = 0
            for i in u.indices {
                if u[i].isNaN && v[i].isNaN { continue }
                let err = abs(u[i] - v[i]) / max(1, abs(v[i]))
                if !(err <= worst) { worst = err.isNaN ? .infinity : err; at = i }
            }
            XCTAssertLessThanOrEqual(worst, tolerance, "\(what): \(name)[\(at)] = \(u[at]), reference \(v[at])", file: file, line: line)
        }
    }
}
