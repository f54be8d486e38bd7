// models/resnet18.dlg and models/resnet50.dlg against torchvision on the same weights.
import DLCCore
import DLCCPU
import DLCDriver
import Foundation
import XCTest
import _DLCTestSupport

/// The resnet plugin's ResNet-18 and ResNet-50 on the CPU back end (inference: batch norm on its
/// running statistics) against torchvision's in eval mode, every parameter and buffer on both
/// sides filled by `FormulaWeights` (no weights file), on a batch of two 3×224×224 formula images.
/// The references, Fixtures/resnet{18,50}_reference.json, come from
/// scripts/make-resnet-reference.py.
///
/// Tolerance: the largest absolute difference of the 2×1000 logits is at most 1e-4 times the
/// largest absolute reference logit (about 3 here, so 3e-4 absolute). About 1 s (ResNet-18) and
/// 2 s (ResNet-50) in a debug build, most of it making the weights.
final class ResNetParityTests: XCTestCase {
    struct Reference: Decodable {
        var model: String
        var parameters: Int
        var input_sum: Double
        var f32_vs_f64_max_abs: Double
        var logits_max_abs: Double
        var argmax: [Int]
        var logits: [[Double]]
    }

    func testResNet18MatchesTorchvision() throws {
        try check(depth: 18)
    }

    func testResNet50MatchesTorchvision() throws {
        try check(depth: 50)
    }

    /// The graph of models/resnetD.dlg for inference, with the logits (the input of the final
    /// softmax) as an extra output beside `probs`.
    func inferenceGraph(depth: Int) throws -> Graph {
        let g = try CPUTest.model("models/resnet\(depth).dlg")
        let logits = try XCTUnwrap(g.values.first { $0.name == "logits" }, "models/resnet\(depth).dlg names no 'logits'")
        g.outputs.append(NamedValue(name: "logits", value: logits.id, location: .unknown))
        try PlanExport.prepareForInference(g, registry: CPUTest.registry)
        try ExecutionPasses.run(g, registry: CPUTest.registry, inference: true)
        return g
    }

    func check(depth: Int) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/resnet\(depth)_reference.json")
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixture))
        let g = try inferenceGraph(depth: depth)
        XCTAssertEqual(g.trainableParameterCount, ref.parameters)

        var weights: [String: HostTensor] = [:]
        for node in g.paramNodes {
            let name = try XCTUnwrap(node.attributes["name"]?.stringValue)
            let shape = g[node.outputs[0]].type.shape.map { $0.value ?? 0 }
            weights[name] = try FormulaWeights.resnetTensor(name, shape: shape, bottleneck: depth >= 50)
        }
        let batch = ref.logits.count
        let plan = try ExecutionPlan.build(g, bindings: ["N": batch], registry: CPUTest.registry)
        let executor = try Executor(plan: plan)
        try executor.setState(weights)
        XCTAssertEqual(Set(plan.state.map(\.name)), Set(weights.keys))
        let image = FormulaWeights.image(batch: batch, channels: 3, height: 224, width: 224)
        XCTAssertEqual(image.doubles.reduce(0, +), ref.input_sum, accuracy: 1e-6, "the image formula differs from the script's")
        let out = try executor.run(inputs: ["image": image])

        let logits = try XCTUnwrap(out["logits"]).doubles
        let probs = try XCTUnwrap(out["probs"]).doubles
        let expected = ref.logits.flatMap { $0 }
        XCTAssertEqual(logits.count, expected.count)
        var worst = 0.0
        for (a, b) in zip(logits, expected) { worst = max(worst, abs(a - b)) }
        let relative = worst / ref.logits_max_abs
        print("ResNet-\(depth): largest logit difference from \(ref.model): \(worst), relative to the largest logit "
              + "\(relative) (torch's own f32 against f64: \(ref.f32_vs_f64_max_abs))")
        XCTAssertLessThanOrEqual(relative, 1e-4)
        var worstProbability = 0.0
        for (i, row) in ref.logits.enumerated() {
            let mine = Array(logits[i * row.count..<(i + 1) * row.count])
            XCTAssertEqual(mine.indices.max { mine[$0] < mine[$1] }, ref.argmax[i], "image \(i)")
            // probs, the model's output, is the softmax of the reference logits too.
            let top = row.max()!, sum = row.reduce(0) { $0 + exp($1 - top) }
            for j in row.indices { worstProbability = max(worstProbability, abs(probs[i * row.count + j] - exp(row[j] - top) / sum)) }
        }
        XCTAssertLessThanOrEqual(worstProbability, 1e-6)
    }
}
