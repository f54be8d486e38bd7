import DLCCore
import DLCData
import DLCDriver
import DLCExperiment
import DLCTraining
import Foundation
import XCTest
import _DLCTestSupport

/// `init:` and `freeze:` in real training runs on the digits, `--emit=train` of a frozen
/// model, the data selection (`classes:`, `subset:`) and the checker's errors.
final class FreezeAndLoadTrainingTests: XCTestCase {
    var trainer: Trainer { Trainer(registry: TestCompiler.registry) }
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "dlc-freeze-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A two-layer MLP whose head is called `head`, with `settings` in its train section.
    func mlp(_ settings: String, head: String = "head", classes: Int = 10) -> String {
        """
        use transfer

        model M {
          input image: f32[N, 1, 8, 8]
          input label: i32[N]
          h = flatten(image) |> dense(16) |> relu
          logits = dense(h, \(classes))
          output probs = softmax(logits)
          loss ce = cross_entropy(logits, label)
        }
        train M {
          data: digits(split: 0.3, seed: 2)
          optimizer: adam(lr: 0.01)
          batch: 64
          epochs: 1
          seed: 4
          \(settings)
        }
        """.replacingOccurrences(of: "logits = dense", with: "\(head) = dense").replacingOccurrences(of: "softmax(logits)", with: "softmax(\(head))")
            .replacingOccurrences(of: "cross_entropy(logits", with: "cross_entropy(\(head)")
    }

    func testFrozenParametersGetNoGradientNoOptimizerStateAndNoBackwardNodes() throws {
        let r = TestCompiler.compile(mlp(#"freeze: ["h.*"]"#), options: CompileOptions(emit: .train))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        let graph = r.graphs[0]
        let states = graph.updates.map(\.name)
        XCTAssertTrue(states.contains("optimizer.exp_avg.head.weight"), "\(states)")
        XCTAssertFalse(states.contains { $0.contains("h.weight") || $0.contains("h.bias") }, "\(states)")
        // Nothing of the backward pass reaches the frozen first layer: no node of its scope.
        XCTAssertFalse(graph.nodes.contains { $0.scope == "grad.h" || $0.scope.hasPrefix("grad.h.") }, r.output)
        XCTAssertTrue(graph.nodes.contains { $0.scope.hasPrefix("grad.head") }, r.output)
        XCTAssertFalse(r.output.contains("optimizer.exp_avg.h."), r.output)

        // The training-step diagram (dlc render --stage train) builds the same step.
        let plain = TestCompiler.compile(mlp(#"freeze: ["h.*"]"#))
        _ = try DiagramSupport.trainingStep(plain.graphs[0], sections: plain.trainSections, registry: TestCompiler.registry)
        XCTAssertEqual(plain.graphs[0].updates.map(\.name).sorted(), states.sorted())
    }

    func testLoadedAndFrozenWeightsAreBitIdenticalAfterTrainingWhileTheNewHeadLearns() throws {
        // Pretrain, save the weights as safetensors, then start a model with a new head from them.
        let pretrained = try trainer.train(SourceFile(path: dir + "/pre.dlg", text: mlp("", head: "old_head")),
                                           overrides: TrainOverrides(epochs: 4))
        let saved = pretrained.parameters.filter { !$0.key.hasPrefix("optimizer.") && $0.key != "train.step" }
        try Safetensors.write(saved, to: dir + "/pre.safetensors")

        var log: [String] = []
        let text = mlp(#"init: load(path: "pre.safetensors", strict: false)"# + "\n  " + #"freeze: ["h.*"]"#, classes: 10)
        let tuned = try trainer.train(SourceFile(path: dir + "/tune.dlg", text: text), overrides: TrainOverrides(epochs: 2)) { log.append($0) }
        let all = log.joined(separator: "\n")
        XCTAssertTrue(all.contains("""
            init: loaded 2 of 4 parameters from \(dir)/pre.safetensors (safetensors, 4 tensors)
              matched (2):
                h.bias [16]
                h.weight [16, 64]
              missing from the file (2, initialized fresh):
                head.bias [10]
                head.weight [10, 16]
              unexpected, not in the model (2, not used):
                old_head.bias [10]
                old_head.weight [10, 16]
            """), all)
        XCTAssertTrue(all.contains("freeze: 2 parameters are not trained (h.bias, h.weight)"), all)
        XCTAssertEqual(tuned.parameters["h.weight"], saved["h.weight"])  // bit-identical
        XCTAssertEqual(tuned.parameters["h.bias"], saved["h.bias"])
        XCTAssertFalse(tuned.parameters.keys.contains { $0.hasPrefix("optimizer.") && $0.hasSuffix(".h.weight") }, "\(tuned.parameters.keys.sorted())")
        XCTAssertNotNil(tuned.parameters["optimizer.exp_avg.head.weight"])
        XCTAssertGreaterThan(try XCTUnwrap(tuned.testAccuracy), 0.5)

        // Strict mode (the default) refuses the new head, listing every problem.
        let strict = mlp(#"init: load(path: "pre.safetensors")"#)
        XCTAssertThrowsError(try trainer.train(SourceFile(path: dir + "/strict.dlg", text: strict))) {
            XCTAssertTrue("\($0)".hasPrefix("init: strict loading found 4 problems"), "\($0)")
        }
        // A freeze pattern that names nothing is an error.
        XCTAssertThrowsError(try trainer.train(SourceFile(path: dir + "/f.dlg", text: mlp(#"freeze: ["conv*"]"#)))) {
            XCTAssertTrue("\($0)".hasPrefix("freeze: 'conv*' matches no trainable parameter (parameters: h.bias, h.weight, head.bias, head.weight"), "\($0)")
        }
    }

    func testTheClassesAndSubsetOfTheDataAreChosenDeterministically() throws {
        var log: [String] = []
        let text = mlp("", classes: 5).replacingOccurrences(of: "digits(split: 0.3, seed: 2)", with: "digits(split: 0.5, seed: 2, classes: [5, 6, 7, 8, 9], subset: 0.1)")
        let r = try trainer.train(SourceFile(path: dir + "/c.dlg", text: text)) { log.append($0) }
        // Digits 5–9: 896 examples; half for training, of which 10%: 45; the test half: 448.
        XCTAssertEqual(try Digits.load().selectingClasses([5, 6, 7, 8, 9]).count, 896)
        XCTAssertTrue(log.contains { $0.hasPrefix("training M on 45 examples (validation 0, test 448)") }, log.joined(separator: "\n"))
        XCTAssertNotNil(r.testAccuracy)

        let d = try Dataset(x: HostTensor(shape: [4, 1], storage: .f32([0, 1, 2, 3])), y: HostTensor(shape: [4], storage: .i32([3, 1, 3, 2])))
        let picked = try d.selectingClasses([3, 2])
        XCTAssertEqual(picked.x, HostTensor(shape: [3, 1], storage: .f32([0, 2, 3])))
        XCTAssertEqual(picked.y, HostTensor(shape: [3], storage: .i32([0, 0, 1])))
        XCTAssertThrowsError(try d.selectingClasses([3, 3])) { XCTAssertEqual("\($0)", "data set: classes: 3 is listed twice") }
        XCTAssertThrowsError(try d.selectingClasses([7])) { XCTAssertEqual("\($0)", "data set: classes: no example has label 7 (labels present: 1, 2, 3)") }
        XCTAssertEqual(d.prefix(fraction: 0.5).count, 2)
        XCTAssertEqual(d.prefix(fraction: 0.01).count, 1)
    }

    func testTransferSettingsNeedUseTransferAndWellFormedValues() {
        let without = mlp(#"freeze: ["h.*"]"#).replacingOccurrences(of: "use transfer\n", with: "")
        let r = TestCompiler.compile(without)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.diagnosticsText.contains("error: setting 'freeze' is provided by plugin 'transfer'; add 'use transfer' at the top of the file"), r.diagnosticsText)
        let bad = TestCompiler.compile(mlp(#"init: load(file: "w.safetensors", strict: 1)"#))
        XCTAssertTrue(bad.diagnosticsText.contains("error: 'load' has no argument 'file'; did you mean 'path'?") || bad.diagnosticsText.contains("error: 'load' has no argument 'file'"), bad.diagnosticsText)
        XCTAssertTrue(bad.diagnosticsText.contains("error: argument 'strict' of 'load' must be true or false, found 1"), bad.diagnosticsText)
        XCTAssertTrue(bad.diagnosticsText.contains("error: 'load' needs argument 'path'"), bad.diagnosticsText)
        let steps = TestCompiler.compile("""
            use transfer
            model G {
              input z: f32[N, 4]
              output x = dense(z, 4)
            }
            train gan {
              step g: minimize mean(G(z)) over G
              freeze: ["x.*"]
            }
            """)
        XCTAssertTrue(steps.diagnosticsText.contains("error: setting 'freeze' applies to a section that trains one model, not to one with steps"), steps.diagnosticsText)
        let subset = TestCompiler.compile(mlp("").replacingOccurrences(of: "seed: 2)", with: "seed: 2, subset: 0, classes: [-1])"))
        XCTAssertTrue(subset.diagnosticsText.contains("error: argument 'subset' of 'digits' must be a number in (0.0, 1.0], found 0"), subset.diagnosticsText)
        XCTAssertTrue(subset.diagnosticsText.contains("error: each item of argument 'classes' of 'digits' must be at least 0, found -1"), subset.diagnosticsText)
    }

    /// models/transfer_digits.dlg's workflow in a scratch copy of the layout (models/ and
    /// out/ side by side), with fewer epochs: Pretrain's weights load into Finetune.
    func testTheTransferDigitsExampleRunsItsWorkflow() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("models/transfer_digits.dlg"), encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/out/transfer_digits", withIntermediateDirectories: true)
        let file = SourceFile(path: dir + "/models/transfer_digits.dlg", text: text)
        let pre = try trainer.train(file, model: "Pretrain", overrides: TrainOverrides(epochs: 2))
        let compiled = TestCompiler.compile(text, options: CompileOptions(model: "Pretrain"))
        let names = Set(compiled.graphs[0].paramNodes.compactMap { $0.attributes["name"]?.stringValue })
        try Safetensors.write(pre.parameters.filter { names.contains($0.key) }, to: dir + "/out/transfer_digits/pretrain.safetensors")
        var log: [String] = []
        let tuned = try trainer.train(file, model: "Finetune", overrides: TrainOverrides(epochs: 2)) { log.append($0) }
        let all = log.joined(separator: "\n")
        XCTAssertTrue(all.contains("init: loaded 6 of 8 parameters"), all)
        XCTAssertTrue(all.contains("freeze: 4 parameters are not trained"), all)
        XCTAssertTrue(all.contains("training Finetune on 72 examples (validation 0, test 179)"), all)
        for name in ["features.c1.weight", "features.c1.bias", "features.c2.weight", "features.c2.bias"] {
            XCTAssertEqual(tuned.parameters[name], pre.parameters[name], name)
        }
        XCTAssertNotEqual(tuned.parameters["features.fc.weight"], pre.parameters["features.fc.weight"])
    }
}
