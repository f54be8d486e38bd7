import DLCCore
import DLCData
import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc eval`: a run's weights on its test split with the preprocessing it saved, and errors
/// for missing or damaged runs, weights that do not fit and bad data.
final class EvalTests: XCTestCase {
    static let text = """
        model M(width: Int = 16) {
          input image: f32[N, 1, 8, 8]
          input label: i32[N]
          h = flatten(image) |> dense(width) |> relu
          logits = dense(h, 10)
          loss ce = cross_entropy(logits, label)
          output probs = softmax(logits)
        }
        train M {
          data: digits(split: 0.7, seed: 3)
          optimizer: adam(lr: 0.01)
          preprocess: [standardize()]
          batch: 64
          epochs: 1
        }
        """

    var dir = ""
    var run = ""
    var evaluator: ModelEvaluator { ModelEvaluator(registry: TestCompiler.registry) }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-eval-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.text.write(toFile: dir + "/m.dlg", atomically: true, encoding: .utf8)
        let r = try Trainer(registry: TestCompiler.registry).train(SourceFile(path: dir + "/m.dlg", text: Self.text),
                                                                   options: RunOptions(runsDirectory: dir + "/runs"))
        run = try XCTUnwrap(r.runDirectory)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch let e as DLCError { return e.message } catch { return "\(error)" }
    }

    func testEvalOfARunMatchesItsTestMetricsAndUsesTheSavedPreprocessing() throws {
        let summary = try RunRecorder.readJSON(run + "/summary.json")
        let test = try XCTUnwrap(summary["test"] as? [String: Double])
        let r = try evaluator.evaluate(run)
        XCTAssertEqual(r.model, "M")
        XCTAssertEqual(r.data, "the test split")
        XCTAssertEqual(r.evaluation.count, 539)
        XCTAssertEqual(r.preprocessing, run + "/preprocessing.json")
        let metrics = Dictionary(uniqueKeysWithValues: r.evaluation.metrics(r.metricNames).map { ($0.name, $0.value) })
        XCTAssertEqual(try XCTUnwrap(metrics["loss"]), try XCTUnwrap(test["loss"]), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(metrics["accuracy"]), try XCTUnwrap(test["accuracy"]), accuracy: 1e-12)
        let table = r.table()
        for part in ["accuracy", "log_loss", "roc_auc", "macro", "micro", "confusion matrix"] { XCTAssertTrue(table.contains(part), table) }

        // The saved statistics are what eval applies: changing them changes the result (a
        // refit on the training split would not).
        var saved = try XCTUnwrap(try FittedPreprocessing.saved(in: run))
        guard case .standardize(var s) = saved.steps[0] else { return XCTFail("\(saved)") }
        XCTAssertEqual(saved, try FittedPreprocessing.fit([.standardize], on: try Self.trainingSplit()), "saved = fitted on the training split")
        s.mean = s.mean.map { $0 + 0.5 }
        saved.steps[0] = .standardize(s)
        try saved.save(in: run)
        let shifted = try evaluator.evaluate(run).evaluation.loss!
        XCTAssertGreaterThan(abs(shifted - metrics["loss"]!), 1e-3)
    }

    static func trainingSplit() throws -> Dataset {
        try Splits(try DataSource.digits().load(), train: 0.7, seed: 3).train
    }

    func testOtherSplitsDataSourcesAndCheckpoints() throws {
        let all = try evaluator.evaluate(run, data: "all")
        XCTAssertEqual(all.evaluation.count, 1797)
        XCTAssertEqual(try evaluator.evaluate(run, data: "train").evaluation.count, 1258)
        let csv = dir + "/few.csv"
        try (0..<5).map { i in (Array(repeating: "0.5", count: 64) + ["\(i)"]).joined(separator: ",") }.joined(separator: "\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(self.run, data: "csv(path: \"\(csv)\")") }.contains("has examples of shape [64] but input 'image' is f32[N, 1, 8, 8]"))
        let checkpoint = try XCTUnwrap(Checkpoint.files(in: run).first)
        let c = try evaluator.evaluate(checkpoint)
        XCTAssertEqual(c.preprocessing, run + "/preprocessing.json", "a checkpoint belongs to its run")
        XCTAssertEqual(c.evaluation.loss!, try evaluator.evaluate(run).evaluation.loss!, accuracy: 1e-9)
    }

    func testErrors() throws {
        XCTAssertEqual(message { _ = try self.evaluator.evaluate(self.dir + "/nope") }, "no run directory or weights file '\(dir)/nope'")
        XCTAssertEqual(message { _ = try self.evaluator.evaluate(self.dir) }, "'\(dir)' is not a run directory (it has no settings.json)")
        // Damaged weights.
        let damaged = dir + "/damaged.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: damaged))
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(damaged, source: self.dir + "/m.dlg") }.contains(damaged))
        // Weights outside a run need their .dlg.
        let weights = try Safetensors.read(run + "/weights.safetensors").tensors
        let loose = dir + "/loose.safetensors"
        try Safetensors.write(weights, to: loose)
        XCTAssertEqual(message { _ = try self.evaluator.evaluate(loose) },
                       "\(loose) is a weights file outside a run directory; give the .dlg file it belongs to")
        XCTAssertEqual(try evaluator.evaluate(loose, source: dir + "/m.dlg").preprocessing, "fitted on the training split")
        // Weights of another model.
        var missing = weights
        missing["h.weight"] = nil
        try Safetensors.write(missing, to: loose)
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(loose, source: self.dir + "/m.dlg") }
            .hasPrefix("\(loose) does not fit model 'M': it has no tensor 'h.weight'"))
        try Safetensors.write(weights, to: loose)
        try Self.text.replacingOccurrences(of: "width: Int = 16", with: "width: Int = 8").write(toFile: dir + "/m8.dlg", atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(loose, source: self.dir + "/m8.dlg") }.contains("'h.weight' is [16, 64] in the file"))
        // Bad data.
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(self.run, data: "csv(path: \"\(self.dir)/absent.csv\")") }.contains("absent.csv"))
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(self.run, data: "pictures(") }.hasPrefix("--data 'pictures(':"))
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(self.run, data: "validation") }.contains("has no examples"))
        // A damaged run: preprocessing.json, then settings.json.
        try Data("{".utf8).write(to: URL(fileURLWithPath: run + "/preprocessing.json"))
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(self.run) }.hasPrefix("\(run)/preprocessing.json: damaged preprocessing parameters"))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: run + "/settings.json"))
        XCTAssertEqual(message { _ = try self.evaluator.evaluate(self.run) }, "cannot read '\(run)/settings.json' as a JSON object")
        // A run that saved no weights.
        try FileManager.default.createDirectory(atPath: dir + "/runs/empty", withIntermediateDirectories: true)
        try Data("{\"model\": \"M\", \"source_copy\": \"m.dlg\"}".utf8).write(to: URL(fileURLWithPath: dir + "/runs/empty/settings.json"))
        XCTAssertTrue(message { _ = try self.evaluator.evaluate(self.dir + "/runs/empty") }.contains("has no weights to evaluate"))
    }

    /// `--resume` applies the run's saved preprocessing: resumed as saved, a run ends where an
    /// uninterrupted one does; with the saved statistics changed, it does not.
    func testResumeAppliesTheSavedPreprocessing() throws {
        let trainer = Trainer(registry: TestCompiler.registry)
        let source = SourceFile(path: dir + "/m.dlg", text: Self.text)
        let full = try Safetensors.read(run + "/weights.safetensors").tensors["h.weight"]!.doubles
        func interrupted(_ name: String) throws -> String {
            var steps = 0
            XCTAssertThrowsError(try trainer.train(source, options: RunOptions(runsDirectory: dir + "/" + name, shouldStop: {
                steps += 1
                return steps == 10
            })))
            return dir + "/" + name + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir + "/" + name)).first!
        }
        let same = try interrupted("a"), shifted = try interrupted("b")
        XCTAssertEqual(try trainer.resume(same).parameters["h.weight"]!.doubles, full)
        var saved = try XCTUnwrap(try FittedPreprocessing.saved(in: shifted))
        guard case .standardize(var s) = saved.steps[0] else { return XCTFail("\(saved)") }
        s.mean = s.mean.map { $0 + 0.5 }
        saved.steps[0] = .standardize(s)
        try saved.save(in: shifted)
        XCTAssertNotEqual(try trainer.resume(shifted).parameters["h.weight"]!.doubles, full)
    }

    func testTheCommandPrintsTheTableOrJSON() throws {
        let table = try DLCProcess.run(["eval", run])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.hasPrefix("evaluated M ("), table.stdout)
        XCTAssertTrue(table.stdout.contains("confusion matrix (rows: true class, columns: predicted class)"), table.stdout)
        let json = try DLCProcess.run(["eval", run, "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(o?["examples"] as? Int, 539)
        XCTAssertEqual((o?["confusion"] as? [[Int]])?.count, 10)
        let bad = try DLCProcess.run(["eval", dir + "/nope"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "error: no run directory or weights file '\(dir)/nope'\n")
    }
}
