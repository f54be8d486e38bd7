import DLCCore
import DLCDriver
import DLCExperiment
import DLCFrontend
import Foundation
import XCTest
import _DLCTestSupport

/// Sweeps: the trials a grid or random search expands to, static model arguments and
/// setting overrides, and `dlc sweep` itself (a failing trial does not stop the others).
final class SweepTests: XCTestCase {
    static func model(_ sweep: String, extra: String = "") -> String {
        """
        model M(width: Int = 16) {
          input image: f32[N, 1, 8, 8]
          input label: i32[N]
          h = flatten(image) |> dense(width) |> relu
          logits = dense(h, 10)
          loss ce = cross_entropy(logits, label)
          output logits
        }
        train M {
          data: digits(split: 0.5, seed: 3)
          optimizer: sgd(lr: 0.1, momentum: 0.9)
          batch: 64
          epochs: 1
        \(extra)
          sweep: \(sweep)
        }
        """
    }

    func spec(_ text: String) throws -> SweepSpec {
        let r = TestCompiler.compile(text)
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        return try XCTUnwrap(r.trainSections.first?.sweep, r.diagnosticsText)
    }

    func testAGridIsTheProductOfItsListsFirstNameSlowest() throws {
        let s = try spec(Self.model("grid(lr: [0.1, 0.01], width: int_range(8, 24, step: 8), l2: [0.0001])"))
        XCTAssertEqual(s.kind, .grid)
        XCTAssertEqual(s.parameters.map(\.name), ["lr", "width", "l2"])
        XCTAssertEqual(s.parameters.map(\.target), [.optimizerArgument("lr"), .modelArgument("width"), .setting("l2")])
        XCTAssertEqual(s.metric, "test_accuracy")
        XCTAssertTrue(s.maximize)
        let trials = SweepPlan.trials(s)
        XCTAssertEqual(trials.count, 6)
        XCTAssertEqual(trials.map { $0.map(\.value) }, [
            [.float(0.1), .int(8), .float(0.0001)], [.float(0.1), .int(16), .float(0.0001)], [.float(0.1), .int(24), .float(0.0001)],
            [.float(0.01), .int(8), .float(0.0001)], [.float(0.01), .int(16), .float(0.0001)], [.float(0.01), .int(24), .float(0.0001)],
        ])
    }

    func testARandomSearchIsTheSameForASeedAndStaysInItsRanges() throws {
        let text = Self.model("random(trials: 20, seed: 5, metric: test_loss, lr: loguniform(0.001, 0.5), momentum: uniform(0.5, 0.95), width: int_range(8, 64, step: 8), batch: [32, 64])")
        let a = SweepPlan.trials(try spec(text)), b = SweepPlan.trials(try spec(text))
        XCTAssertEqual(a.count, 20)
        XCTAssertEqual(a.map { $0.map(\.value) }, b.map { $0.map(\.value) })
        let other = SweepPlan.trials(try spec(text.replacingOccurrences(of: "seed: 5", with: "seed: 6")))
        XCTAssertNotEqual(a.map { $0.map(\.value) }, other.map { $0.map(\.value) })
        XCTAssertFalse(try spec(text).maximize, "a loss is minimized")
        var widths = Set<Int>(), lrs = Set<Double>()
        for t in a {
            let v = Dictionary(uniqueKeysWithValues: t.map { ($0.name, $0.value) })
            let lr = try XCTUnwrap(v["lr"]?.doubleValue), m = try XCTUnwrap(v["momentum"]?.doubleValue)
            XCTAssertTrue(lr >= 0.001 && lr <= 0.5, "\(lr)")
            XCTAssertTrue(m >= 0.5 && m <= 0.95, "\(m)")
            guard case .int(let w)? = v["width"] else { return XCTFail("width \(String(describing: v["width"]))") }
            XCTAssertTrue(w >= 8 && w <= 64 && w % 8 == 0, "\(w)")
            XCTAssertTrue([.int(32), .int(64)].contains(v["batch"]!))
            widths.insert(w)
            lrs.insert(lr)
        }
        XCTAssertGreaterThan(widths.count, 3, "the draws vary")
        XCTAssertGreaterThan(lrs.count, 10)
        // Log-uniform: about half of the draws below the geometric middle (0.0224), not 2 %.
        XCTAssertGreaterThan(lrs.filter { $0 < 0.0224 }.count, 4)
    }

    func testStaticArgumentsAndSettingsAreOverridden() throws {
        let source = SourceFile(path: "t.dlg", text: Self.model("grid(width: [8, 32])"))
        let trainer = Trainer(registry: TestCompiler.registry)
        let (graph, section, options) = try trainer.compileModel(source, model: nil, settings: [
            ("width", .int(32)), ("lr", .float(0.05)), ("l2", .float(0.001)), ("batch", .int(16)),
        ])
        let weight = try XCTUnwrap(graph.paramNodes.first { $0.attributes["name"]?.stringValue == "h.weight" })
        XCTAssertEqual(graph[weight.outputs[0]].type.shape.compactMap(\.value), [32, 64])
        XCTAssertEqual(options.modelArguments, ["M": ["width": .int(32)]])
        let config = TrainConfig(try XCTUnwrap(section))
        XCTAssertEqual(config.training.optimizer.lr, 0.05)
        XCTAssertEqual(config.training.optimizer.momentum, 0.9, "the optimizer's other arguments stay")
        XCTAssertEqual(config.training.l2, 0.001)
        XCTAssertEqual(config.batch, 16)
        // The default when nothing overrides it.
        let plain = try trainer.compileModel(source, model: nil, settings: []).graph
        let w0 = try XCTUnwrap(plain.paramNodes.first { $0.attributes["name"]?.stringValue == "h.weight" })
        XCTAssertEqual(plain[w0.outputs[0]].type.shape.compactMap(\.value), [16, 64])
    }

    func testBadOverridesAreErrors() throws {
        let source = SourceFile(path: "t.dlg", text: Self.model("grid(width: [8, 32])"))
        let trainer = Trainer(registry: TestCompiler.registry)
        func message(_ settings: [(name: String, value: StaticValue)]) -> String {
            do {
                _ = try trainer.compileModel(source, model: nil, settings: settings)
                return "no error"
            } catch let e as DLCError { return e.message } catch let e as CompileFailure { return e.text } catch { return "\(error)" }
        }
        XCTAssertEqual(message([("widht", .int(8))]), "'widht' is neither a train setting nor a static argument of model 'M'; did you mean 'width'?")
        XCTAssertEqual(message([("lr", .float(-1))]), "'lr' must be a number in (0.0, ∞), found -1.0")
        XCTAssertEqual(message([("batch", .float(0.5))]), "'batch' must be an integer, found 0.5")
        XCTAssertTrue(message([("width", .float(0.5))]).contains("error: argument 'width' of model 'M' must be a value of type Int, found"),
                      message([("width", .float(0.5))]))
        XCTAssertThrowsError(try TrainOverrides.parseSetting("lr"))
        XCTAssertThrowsError(try TrainOverrides.parseSetting("lr=1..2"))
        XCTAssertEqual(try TrainOverrides.parseSetting("lr=1e-3").value, .float(0.001))
        XCTAssertEqual(try TrainOverrides.parseSetting("width=64").value, .int(64))
    }

    /// The acceptance test of failure isolation: one trial diverges (a learning rate of 10⁶
    /// makes the loss NaN), the other finishes, and sweep.json records both.
    func testAFailingTrialIsRecordedAndTheOthersFinish() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-sweep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/m.dlg"
        try Self.model("grid(lr: [0.1, 1000000.0], width: [8])", extra: "  validation: 0.1\n  preprocess: [standardize()]")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try DLCProcess.run(["sweep", file, "--sweeps-dir", dir + "/sweeps", "--jobs", "2", "--json"], timeout: 240)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let sweeps = try FileManager.default.contentsOfDirectory(atPath: dir + "/sweeps")
        XCTAssertEqual(sweeps.count, 1)
        XCTAssertTrue(sweeps[0].hasPrefix("M-"), sweeps[0])
        let path = dir + "/sweeps/" + sweeps[0]
        let o = try RunRecorder.readJSON(path + "/sweep.json")
        XCTAssertEqual(o["status"] as? String, "finished")
        XCTAssertEqual(o["kind"] as? String, "grid")
        XCTAssertEqual(o["metric"] as? String, "val_accuracy")
        XCTAssertEqual(o["goal"] as? String, "max")
        XCTAssertEqual(o["swept"] as? [String], ["lr", "width"])
        XCTAssertEqual(o["best"] as? Int, 0)
        XCTAssertEqual(o["model"] as? String, "M")
        XCTAssertEqual(o["source"] as? String, file)
        let trials = try XCTUnwrap(o["trials"] as? [[String: Any]])
        XCTAssertEqual(trials.map { $0["status"] as? String }, ["finished", "failed"])
        XCTAssertEqual(trials.map { $0["run"] as? String }, ["trials/0", "trials/1"])
        XCTAssertEqual(trials[1]["settings"] as? [String: Double], ["lr": 1_000_000, "width": 8])
        XCTAssertTrue((trials[1]["error"] as? String ?? "").contains("the loss became"), "\(trials[1])")
        XCTAssertTrue(trials[0]["error"] is NSNull)
        let accuracy = try XCTUnwrap((trials[0]["metrics"] as? [String: Double])?["val_accuracy"])
        XCTAssertGreaterThan(accuracy, 0.25, "better than chance (0.1)")
        XCTAssertNotNil(trials[0]["seconds"] as? Double)
        // A trial is an ordinary run: what reads runs reads it, with its static argument.
        let run = try RunInfo(path: path + "/trials/0")
        XCTAssertEqual(run.status, "finished")
        XCTAssertEqual(run.settings["width"], "8")
        XCTAssertEqual(run.settings["lr"], "0.1")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/trials/0/weights.safetensors"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/trials/0/preprocessing.json"))
        XCTAssertTrue((try RunInfo(path: path + "/trials/1")).status.hasPrefix("failed: the loss became"))
        // The table: the finished trial ranked first, the failed one last with its cause.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("rank  trial  lr") })
        XCTAssertTrue(lines[header + 1].hasPrefix("1     0      0.1"), r.stdout)
        XCTAssertTrue(lines[header + 2].hasPrefix("-     1      1000000.0") && lines[header + 2].contains("failed: the loss became"), r.stdout)
        XCTAssertTrue(r.stdout.contains("best: trial 0 (lr: 0.1, width: 8) with val_accuracy"), r.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any]
        XCTAssertEqual(json?["best"] as? Int, 0)
        XCTAssertEqual(json?["failed"] as? Int, 1)
        // Its report: the ranked trials (the failed one with its error), a chart per swept setting, the best trial.
        let report = dir + "/report.html"
        let written = try DLCProcess.run(["report", path, "-o", report], timeout: 60)
        XCTAssertEqual(written.status, 0, written.stderr)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertNil(xmlError(html))
        XCTAssertTrue(html.contains("<title>val_accuracy by lr</title>") && html.contains("<title>val_accuracy by width</title>"))
        XCTAssertNotNil(html.range(of: #"<tr class="failed"><td class="num">–</td><td class="num">1</td><td>1000000</td><td>8</td>.*the loss became"#,
                                   options: .regularExpression))
        XCTAssertTrue(html.contains("<h2>Best trial</h2><h2>M — trial 0</h2>"))
    }

    func testSweepCommandErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-sweep-err-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let none = dir + "/none.dlg"
        try Self.model("grid(lr: [0.1])").replacingOccurrences(of: "  sweep: grid(lr: [0.1])", with: "")
            .write(toFile: none, atomically: true, encoding: .utf8)
        let a = try DLCProcess.run(["sweep", none, "--sweeps-dir", dir + "/s"])
        XCTAssertEqual(a.status, 1)
        XCTAssertTrue(a.stderr.contains("the train section of model 'M' declares no sweep"), a.stderr)
        let bad = dir + "/bad.dlg"
        try Self.model("grid(lr: [0.1], depth: [2])").write(toFile: bad, atomically: true, encoding: .utf8)
        let b = try DLCProcess.run(["sweep", bad, "--sweeps-dir", dir + "/s"])
        XCTAssertEqual(b.status, 1)
        XCTAssertTrue(b.stderr.contains("bad.dlg:15:"), b.stderr)
        XCTAssertTrue(b.stderr.contains("the sweep varies 'depth', which is neither a train setting nor a static argument of model 'M'"), b.stderr)
        let c = try DLCProcess.run(["sweep", bad, "--jobs", "0"])
        XCTAssertEqual(c.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s"), "nothing is recorded for a file with errors")
    }

    /// Ctrl-C (SIGINT to `dlc sweep`) interrupts the running trial — it saves a checkpoint —
    /// starts no more, records the sweep as interrupted and exits with 130.
    func testCtrlCStopsTheSweepCleanly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-sweep-int-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/m.dlg"
        try Self.model("grid(lr: [0.1, 0.05, 0.01])").replacingOccurrences(of: "epochs: 1", with: "epochs: 1000")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = DLCProcess.binary
        p.arguments = ["sweep", file, "--sweeps-dir", dir + "/sweeps", "--jobs", "1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until the first trial has recorded a checkpoint (it is well into training).
        let deadline = Date().addingTimeInterval(60)
        var sweep = "", trial = ""
        while Date() < deadline {
            if let s = try? FileManager.default.contentsOfDirectory(atPath: dir + "/sweeps").first {
                sweep = dir + "/sweeps/" + s
                trial = sweep + "/trials/0"
                if !Checkpoint.files(in: trial).isEmpty { break }
            }
            usleep(50_000)
        }
        XCTAssertFalse(Checkpoint.files(in: trial).isEmpty, "the first trial never checkpointed")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let o = try RunRecorder.readJSON(sweep + "/sweep.json")
        XCTAssertEqual(o["interrupted"] as? Bool, true)
        XCTAssertEqual(o["status"] as? String, "finished")
        let trials = try XCTUnwrap(o["trials"] as? [[String: Any]])
        XCTAssertEqual(trials.map { $0["status"] as? String }, ["failed", "pending", "pending"])
        XCTAssertTrue((trials[0]["error"] as? String ?? "").hasPrefix("interrupted (checkpoint saved"), "\(trials[0])")
        XCTAssertEqual(try RunInfo(path: trial).status, "interrupted")
    }
}
