// Golden checks for graph passes (simplify, cse, the fusion passes): a source's graph after
// some passes printed against the expected text, and the reference interpreter's outputs the
// same before and after.
import DLCCore
import DLCPasses
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

enum PassGolden {
    static func graph(_ source: String) throws -> Graph {
        let r = TestCompiler.compile(source)
        guard r.status == 0, let g = r.graphs.first else { throw DLCError("does not compile: \(r.diagnosticsText)") }
        return g
    }

    /// The first graph of a file of the repository (`models/lenet5.dlg`).
    static func model(_ path: String) throws -> Graph {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent(path))
        guard r.status == 0, let g = r.graphs.first else { throw DLCError("\(path) does not compile: \(r.diagnosticsText)") }
        return g
    }

    /// The graph of `source` after the named passes.
    static func run(_ passes: [String], on source: String) throws -> Graph {
        let g = try graph(source)
        let diags = DiagnosticEngine()
        try PassManager(names: passes, registry: TestCompiler.registry)
            .run(on: g, context: PassContext(registry: TestCompiler.registry, diagnostics: diags))
        XCTAssertFalse(diags.hasErrors, diags.sorted.map(\.message).joined(separator: "; "))
        return g
    }

    /// The execution pipeline (`Pipelines.execution`) without the `disabled` passes.
    static func execution(disabled: Set<String> = []) -> [String] {
        Pipelines.execution.filter { !disabled.contains($0) }
    }

    /// The printed graph after `passes` equals `expected`, and every output is unchanged.
    static func check(_ passes: [String], _ source: String, _ expected: String,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try run(passes, on: source)
        XCTAssertEqual(GraphPrinter().print(g), expected + "\n", file: file, line: line)
        try assertSameOutputs(try graph(source), g, file: file, line: line)
    }

    /// The reference interpreter gives the same outputs for both graphs on the same inputs.
    static func assertSameOutputs(_ plain: Graph, _ rewritten: Graph, file: StaticString = #filePath, line: UInt = #line) throws {
        var inputs: [String: HostTensor] = [:]
        var seed = 1.0
        for node in plain.inputNodes {
            let t = plain[node.outputs[0]].type
            let shape = t.shape.map { $0.value ?? 3 }
            let n = shape.reduce(1, *)
            inputs[node.attributes["name"]!.stringValue!] = HostTensor(shape: shape, f64: (0..<n).map { sin(Double($0) * 0.7 + seed) * 0.5 + 0.6 })
                .converted(to: t.dtype)
            seed += 1
        }
        let ref = ReferenceInterpreter(registry: TestCompiler.registry)
        let params = ParameterInitializer.initialize(plain, seed: 5)
        let a = try ref.run(plain, inputs: inputs, parameters: params, seed: 0, training: false)
        let b = try ref.run(rewritten, inputs: inputs, parameters: params, seed: 0, training: false)
        for (name, x) in a.outputs {
            guard let y = b.outputs[name] else { XCTFail("output \(name) is missing", file: file, line: line); continue }
            XCTAssertEqual(x.shape, y.shape, name, file: file, line: line)
            for (u, v) in zip(x.doubles, y.doubles) { XCTAssertEqual(u, v, accuracy: 1e-6 * max(1, abs(u)), name, file: file, line: line) }
        }
    }
}
