import DLCCore
import DLCDriver
import Foundation
import XCTest
import _DLCTestSupport

/// Every model in `models/` compiles cleanly, and the benchmark workloads have exactly the
/// parameter counts of their definitions in ../shared/bench/peers.py.
final class ModelZooCompileTests: XCTestCase {
    func testEveryModelCompiles() throws {
        let files = Repository.modelFiles
        XCTAssertFalse(files.isEmpty)
        for url in files {
            let r = try TestCompiler.compile(file: url)
            XCTAssertEqual(r.status, 0, "\(url.lastPathComponent):\n\(r.diagnosticsText)")
            XCTAssertFalse(r.diagnostics.contains { $0.severity == .warning }, r.diagnosticsText)
        }
    }

    func parameters(_ name: String) throws -> (Graph, Int) {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/\(name)"))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        let g = try XCTUnwrap(r.graphs.first)
        return (g, g.trainableParameterCount)
    }

    func testMLPMatchesTheBenchmarkWorkload() throws {
        let (g, count) = try parameters("mlp.dlg")
        XCTAssertEqual(count, 235_146)
        XCTAssertEqual(g.outputs.map { g[$0.value].type.description }, ["f32[N, 10]"])
        XCTAssertEqual(g.losses.map(\.name), ["ce"])
    }

    func testLeNet5MatchesTheBenchmarkWorkload() throws {
        let (g, count) = try parameters("lenet5.dlg")
        XCTAssertEqual(count, 61_706)
        let names = g.paramNodes.compactMap { $0.attributes["name"]?.stringValue }
        XCTAssertEqual(names, ["c1.weight", "c1.bias", "c2.weight", "c2.bias", "fc1.weight", "fc1.bias",
                               "fc2.weight", "fc2.bias", "logits.weight", "logits.bias"])
        let shapes = g.paramNodes.map { g[$0.outputs[0]].type.description }
        XCTAssertEqual(shapes, ["f32[6, 1, 5, 5]", "f32[6]", "f32[16, 6, 5, 5]", "f32[16]", "f32[120, 400]", "f32[120]",
                                "f32[84, 120]", "f32[84]", "f32[10, 84]", "f32[10]"])
    }

    func testSummaryReportsParametersFlopsAndMemory() throws {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/lenet5.dlg"))
        XCTAssertTrue(r.output.contains("parameters   61,706 trainable"), r.output)
        XCTAssertTrue(r.output.contains("FLOPs"), r.output)
        XCTAssertTrue(r.output.contains("input  image  f32[N, 1, 28, 28]"), r.output)
    }
}
