import DLCCore
@testable import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc report` on real runs and on a sweep directory in `dlc sweep`'s format made of them.
final class ReportTests: XCTestCase {
    static let model = """
        model Tiny {
          input image: f32[N, 1, 8, 8]
          input label: i32[N]
          logits = flatten(image) |> dense(16) |> relu |> dense(10)
          loss ce = cross_entropy(logits, label)
          output logits
        }
        train Tiny {
          data: digits(split: 0.6, seed: 2)
          validation: 0.2
          optimizer: sgd(lr: 0.1, momentum: 0.9)
          batch: 64
          epochs: 2
          metrics: [accuracy, f1, auc]
        }
        """

    func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Trains the tiny model into `runs` and returns the run directory.
    func train(_ runs: String, lr: Double? = nil) throws -> String {
        let r = try Trainer(registry: TestCompiler.registry).train(SourceFile(path: "tiny.dlg", text: Self.model),
                                                                  overrides: TrainOverrides(lr: lr), options: RunOptions(runsDirectory: runs))
        return try XCTUnwrap(r.runDirectory)
    }

    func testRunReportHasEverySectionAndIsSelfContained() throws {
        let run = try train(try temporaryDirectory())
        XCTAssertTrue(try String(contentsOfFile: run + "/graph.svg", encoding: .utf8).contains("<svg"), "dlc train writes graph.svg")
        let html = try ReportBuilder.html(for: run, registry: TestCompiler.registry)
        XCTAssertNil(xmlError(html))
        for section in ["Results", "Training curves", "Test evaluation (", "Settings", "Model graph", "Environment"] {
            XCTAssertTrue(html.contains("<h2>\(section)"), section)
        }
        for chart in ["Training loss per step", "Loss per epoch", "Accuracy per epoch", "Validation f1 per epoch",
                      "Validation auc per epoch", "ROC curves (one vs rest)"] {
            XCTAssertTrue(html.contains("<title>\(chart)</title>"), chart)
        }
        XCTAssertTrue(html.contains(">class 9 (AUC "))
        XCTAssertTrue(html.contains("<h3>Per-class metrics</h3>"))
        XCTAssertTrue(html.contains("<b>macro average</b>"))
        XCTAssertTrue(html.contains("class=\"graph\""), "Graphviz's diagram inline")
        // The confusion matrix: 10 × 10 cells whose counts add up to the test split.
        let confusion = try XCTUnwrap(html.range(of: "<table class=\"confusion\">").map { html[$0.lowerBound...] })
        let body = confusion[..<confusion.range(of: "</table>")!.lowerBound]
        let cells = body.components(separatedBy: "<td").dropFirst().map { $0[$0.index(after: $0.firstIndex(of: ">")!)...].prefix { $0.isNumber } }
        XCTAssertEqual(cells.count, 100)
        let test = try RunRecorder.readJSON(run + "/test_metrics.json")
        XCTAssertEqual(cells.compactMap { Int($0) }.reduce(0, +), test["examples"] as? Int)
        // Nothing fetched from the network.
        for needle in ["<script", "<link", " src=", "url(", "href=\"http"] { XCTAssertFalse(html.contains(needle), needle) }

        // Without graph.svg (a run recorded before dlc wrote one), the diagram is drawn from the source copy.
        try FileManager.default.removeItem(atPath: run + "/graph.svg")
        XCTAssertTrue(try ReportBuilder.html(for: run, registry: TestCompiler.registry).contains("class=\"graph\""))

        // Names are escaped wherever they appear.
        var data = try RunReportData(path: run)
        data.info.settings["odd <key> & co"] = "a<b>\"c\""
        data.environment["host & <name>"] = "x"
        let escaped = RunReport.html(data)
        XCTAssertNil(xmlError(escaped))
        XCTAssertTrue(escaped.contains("odd &lt;key&gt; &amp; co"))
        XCTAssertTrue(escaped.contains("a&lt;b&gt;&quot;c&quot;"))
        XCTAssertTrue(escaped.contains("host &amp; &lt;name&gt;"))
    }

    func testAFailedRunReportsItsStatusWithoutEvaluation() throws {
        let runs = try temporaryDirectory()
        let text = Self.model.replacingOccurrences(of: "sgd(lr: 0.1, momentum: 0.9)", with: "sgd(lr: 1e38)")
        XCTAssertThrowsError(try Trainer(registry: TestCompiler.registry).train(SourceFile(path: "tiny.dlg", text: text),
                                                                              options: RunOptions(runsDirectory: runs)))
        let run = runs + "/" + (try FileManager.default.contentsOfDirectory(atPath: runs))[0]
        let html = try ReportBuilder.html(for: run, registry: TestCompiler.registry)
        XCTAssertNil(xmlError(html))
        XCTAssertTrue(html.contains("<span class=\"status-failed\">failed: the loss became"), html)
        XCTAssertFalse(html.contains("Test evaluation"))
    }

    /// A sweep directory as `dlc sweep` writes it, with two real trials and a failed one.
    func makeSweep() throws -> String {
        let sweep = try temporaryDirectory()
        let runs = try temporaryDirectory()
        let good = try train(runs, lr: 0.1), bad = try train(runs, lr: 0.001)
        try FileManager.default.createDirectory(atPath: sweep + "/trials", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: good, toPath: sweep + "/trials/1")
        try FileManager.default.copyItem(atPath: bad, toPath: sweep + "/trials/0")
        func metrics(_ run: String) throws -> [String: Double] {
            let s = try RunRecorder.readJSON(run + "/summary.json")
            return ["val_accuracy": try XCTUnwrap(s["final_val_accuracy"] as? Double),
                    "test_accuracy": try XCTUnwrap((s["test"] as? [String: Double])?["accuracy"]),
                    "seconds": try XCTUnwrap(s["seconds"] as? Double)]
        }
        let object: [String: Any] = [
            "model": "Tiny", "source": "tiny.dlg", "kind": "grid", "metric": "val_accuracy", "goal": "max",
            "swept": ["lr", "optimizer"], "status": "finished", "best": 1,
            "trials": [
                ["index": 0, "settings": ["lr": 0.001, "optimizer": "sgd"], "run": "trials/0", "status": "finished",
                 "metrics": try metrics(bad), "seconds": 1.5],
                ["index": 1, "settings": ["lr": 0.1, "optimizer": "sgd"], "run": "trials/1", "status": "finished",
                 "metrics": try metrics(good), "seconds": 1.25],
                ["index": 2, "settings": ["lr": 10, "optimizer": "adam"], "run": "trials/2", "status": "failed",
                 "error": "the loss became nan at <step 3> & stopped", "metrics": [String: Double]()],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: sweep + "/sweep.json"))
        return sweep
    }

    func testSweepReportRanksTrialsAndChartsTheMetricAgainstEachSetting() throws {
        let sweep = try makeSweep()
        let record = try SweepReportData(path: sweep)
        XCTAssertEqual(record.ranked.map(\.index), [1, 0, 2])
        let html = try ReportBuilder.html(for: sweep, registry: TestCompiler.registry)
        XCTAssertNil(xmlError(html))
        // Ranked rows: trial 1 (best, highlighted), trial 0, then the failed trial 2 with its error escaped.
        let rows = html.components(separatedBy: "<tr").dropFirst().filter { $0.contains("<td class=\"num\">") }
        XCTAssertTrue(rows[0].hasPrefix(" class=\"best\"><td class=\"num\">1</td><td class=\"num\">1</td><td>0.1</td><td>sgd</td>"), rows[0])
        XCTAssertTrue(rows[1].contains("<td class=\"num\">2</td><td class=\"num\">0</td><td>0.001</td>"), rows[1])
        XCTAssertTrue(rows[2].hasPrefix(" class=\"failed\"><td class=\"num\">–</td><td class=\"num\">2</td><td>10</td><td>adam</td>"), rows[2])
        XCTAssertTrue(html.contains("the loss became nan at &lt;step 3&gt; &amp; stopped"))
        // One chart per swept setting: lr on a log axis (0.001 … 0.1 spans two decades), optimizer by name.
        XCTAssertTrue(html.contains("<title>val_accuracy by lr</title>"))
        XCTAssertTrue(html.contains("<title>val_accuracy by optimizer</title>"))
        let lrChart = String(html[html.range(of: "<title>val_accuracy by lr</title>")!.lowerBound...].prefix { $0 != "§" })
            .components(separatedBy: "</svg>")[0]
        XCTAssertTrue(lrChart.contains(">0.003</text>"), "a log axis has ticks at 1 and 3 per decade")
        XCTAssertEqual(lrChart.components(separatedBy: "<circle").count - 1, 3, "two trials and the best one's ring")
        XCTAssertTrue(html.contains("<title>val_accuracy per epoch, each trial</title>"))
        // The best trial's own report follows.
        XCTAssertTrue(html.contains("<th class=\"num\">train seconds</th>"), "the trials' training time")
        XCTAssertTrue(html.contains("<th class=\"num\">wall seconds</th>"))
        XCTAssertTrue(html.contains("<h2>Best trial</h2><h2>Tiny — trial 1</h2>"))
        XCTAssertTrue(html.contains("<h3>Training curves</h3>"))
    }

    func testMalformedSweepFilesAreNamed() throws {
        let dir = try temporaryDirectory()
        try Data("{\"model\": \"M\", \"metric\": \"val_accuracy\", \"swept\": [\"lr\"]}".utf8).write(to: URL(fileURLWithPath: dir + "/sweep.json"))
        XCTAssertThrowsError(try ReportBuilder.html(for: dir, registry: TestCompiler.registry)) {
            XCTAssertEqual(($0 as? DLCError)?.message, "\(dir)/sweep.json: missing or malformed \"trials\"")
        }
        try Data("not json".utf8).write(to: URL(fileURLWithPath: dir + "/sweep.json"))
        XCTAssertThrowsError(try ReportBuilder.html(for: dir, registry: TestCompiler.registry)) {
            XCTAssertEqual(($0 as? DLCError)?.message, "cannot read '\(dir)/sweep.json' as a JSON object")
        }
        // An interrupted sweep without trials yet still has a report.
        try Data("{\"model\": \"M\", \"metric\": \"val_accuracy\", \"swept\": [\"lr\"], \"trials\": [], \"status\": \"running\", \"interrupted\": true}".utf8)
            .write(to: URL(fileURLWithPath: dir + "/sweep.json"))
        let interrupted = try ReportBuilder.html(for: dir, registry: TestCompiler.registry)
        XCTAssertNil(xmlError(interrupted))
        XCTAssertTrue(interrupted.contains("<span class=\"status-other\">interrupted</span>"), interrupted)
        XCTAssertTrue(interrupted.contains("0 trials (0 finished, 0 failed)"))
        let empty = try temporaryDirectory()
        XCTAssertThrowsError(try ReportBuilder.html(for: empty, registry: TestCompiler.registry)) {
            XCTAssertEqual(($0 as? DLCError)?.message,
                           "'\(empty)' is neither a run directory (settings.json) nor a sweep directory (sweep.json)")
        }
    }

    func testReportCommand() throws {
        let run = try train(try temporaryDirectory())
        let out = try temporaryDirectory() + "/r.html"
        let ok = try DLCProcess.run(["report", run, "-o", out], timeout: 60)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "wrote \(out)\n")
        XCTAssertNil(xmlError(try String(contentsOfFile: out, encoding: .utf8)))
        let missing = try DLCProcess.run(["report", "/nonexistent-run", "-o", out])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: no run or sweep '/nonexistent-run' (neither a run or sweep directory, nor a run in runs, nor a sweep in sweeps)\n")
        let broken = try temporaryDirectory()
        try Data("{".utf8).write(to: URL(fileURLWithPath: broken + "/settings.json"))
        let unreadable = try DLCProcess.run(["report", broken, "-o", out])
        XCTAssertEqual(unreadable.status, 1)
        XCTAssertEqual(unreadable.stderr, "error: cannot read '\(broken)/settings.json' as a JSON object\n")
        // Runs and sweeps by name, in their directories.
        let runName = String(run.split(separator: "/").last!), runsDir = String(run.dropLast(runName.count + 1))
        let byName = try DLCProcess.run(["report", runName, "--runs-dir", runsDir, "-o", out], timeout: 60)
        XCTAssertEqual(byName.status, 0, byName.stderr)
        let sweeps = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: sweeps + "/S-1", withIntermediateDirectories: true)
        try Data("{\"model\": \"Tiny\", \"metric\": \"val_accuracy\", \"swept\": [], \"trials\": []}".utf8)
            .write(to: URL(fileURLWithPath: sweeps + "/S-1/sweep.json"))
        let sweep = try DLCProcess.run(["report", "S-1", "--sweeps-dir", sweeps, "-o", out])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).contains("<h1>Tiny — sweep S-1</h1>"))
        let badOutput = try DLCProcess.run(["report", run, "-o", "/nonexistent-dir/r.html"])
        XCTAssertEqual(badOutput.status, 2)
        XCTAssertTrue(badOutput.stderr.contains("cannot write '/nonexistent-dir/r.html': no directory '/nonexistent-dir'"), badOutput.stderr)
    }
}
