// The golden-test harness of the fusion passes: a source compiles, `Pipelines.execution`
// (minus `disabled`) runs on it, the printed graph must equal the expected text, and the
// reference interpreter must give the same outputs on the graph before and after.
import DLCCore
import DLCPasses
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

enum FusionGolden {
    static func graph(_ source: String) throws -> Graph {
        let r = TestCompiler.compile(source)
        guard r.status == 0, let g = r.graphs.first else { throw DLCError("does not compile: \(r.diagnosticsText)") }
        return g
    }

    static func fused(_ source: String, disabled: Set<String> = []) throws -> Graph {
        let g = try graph(source)
        let diags = DiagnosticEngine()
        try PassManager(names: Pipelines.execution.filter { !disabled.contains($0) }, registry: TestCompiler.registry)
            .run(on: g, context: PassContext(registry: TestCompiler.registry, diagnostics: diags))
        XCTAssertFalse(diags.hasErrors)
        return g
    }

    /// The golden graph, and the same outputs from the reference interpreter before and after.
    static func check(_ source: String, _ expected: String, disabled: Set<String> = [],
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try fused(source, disabled: disabled)
        XCTAssertEqual(GraphPrinter().print(g), expected + "\n", file: file, line: line)
        let plain = try graph(source)
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
        let parameters = ParameterInitializer.initialize(plain, seed: 5)
        let a = try ref.run(plain, inputs: inputs, parameters: parameters, seed: 0, training: false)
        let b = try ref.run(g, inputs: inputs, parameters: parameters, seed: 0, training: false)
        for (name, x) in a.outputs {
            let y = b.outputs[name]!
            XCTAssertEqual(x.shape, y.shape, name, file: file, line: line)
            for (u, v) in zip(x.doubles, y.doubles) { XCTAssertEqual(u, v, accuracy: 1e-6 * max(1, abs(u)), name, file: file, line: line) }
        }
    }
}
