import Foundation
import XCTest
import _DLCTestSupport

/// The `dlc` executable's contract: exit 0 on success, 1 when the input has errors, 2 for
/// usage errors; messages on stderr name the place and the cause.
final class CommandLineTests: XCTestCase {
    func testCompileSucceedsWithASummary() throws {
        let o = try DLCProcess.run(["compile", "models/lenet5.dlg"])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(o.stdout.contains("model LeNet5"), o.stdout)
        XCTAssertTrue(o.stdout.contains("61,706 trainable"), o.stdout)
        XCTAssertEqual(o.stderr, "")
    }

    func testErrorsInTheFileExitWithOne() throws {
        let dir = FileManager.default.temporaryDirectory
        let path = dir.appendingPathComponent("dlc-cli-\(getpid()).dlg")
        try "model M {\n  input x: f32[N, 4]\n  y = dense(x, 0)\n  output y\n}\n".write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let o = try DLCProcess.run(["compile", path.path])
        XCTAssertEqual(o.status, 1)
        XCTAssertTrue(o.stderr.contains("\(path.path):3:16: error: argument 'units' of 'dense' must be positive, found 0"), o.stderr)
        XCTAssertTrue(o.stderr.contains("               ^"), o.stderr)
        XCTAssertEqual(o.stdout, "")
    }

    func testUsageErrorsExitWithTwo() throws {
        for args in [["compile", "models/no-such-file.dlg"], ["compile", "models"], ["compile"],
                     ["compile", "models/lenet5.dlg", "--emit", "pictures"], ["compile", "models/lenet5.dlg", "--frobnicate"],
                     ["compile", "models/lenet5.dlg", "--print-after", "no-such-pass"], ["no-such-command"],
                     ["bench", "models/lenet5.dlg", "--runs", "0"]] {
            let o = try DLCProcess.run(args)
            XCTAssertEqual(o.status, 2, "dlc \(args.joined(separator: " ")): \(o.stderr)")
            XCTAssertFalse(o.stderr.isEmpty, "dlc \(args.joined(separator: " ")) printed no reason")
        }
    }

    func testMissingFileNamesThePathAndTheCause() throws {
        let o = try DLCProcess.run(["compile", "models/no-such-file.dlg"])
        XCTAssertEqual(o.stderr, "error: cannot read 'models/no-such-file.dlg': No such file or directory\n")
    }

    func testUnknownModelIsAnError() throws {
        let o = try DLCProcess.run(["compile", "models/lenet5.dlg", "--model", "LeNet6"])
        XCTAssertEqual(o.status, 1)
        XCTAssertTrue(o.stderr.contains("no model named 'LeNet6' in models/lenet5.dlg; did you mean 'LeNet5'?"), o.stderr)
    }

    func testHelpAndVersionExitWithZero() throws {
        XCTAssertEqual(try DLCProcess.run(["--help"]).status, 0)
        XCTAssertEqual(try DLCProcess.run(["compile", "--help"]).status, 0)
        XCTAssertEqual(try DLCProcess.run(["--version"]).status, 0)
    }

    func testEmitStagesAndPrintAfter() throws {
        for emit in ["ast", "ir", "shapes", "summary"] {
            let o = try DLCProcess.run(["compile", "models/mlp.dlg", "--emit", emit])
            XCTAssertEqual(o.status, 0, o.stderr)
            XCTAssertFalse(o.stdout.isEmpty)
        }
        let o = try DLCProcess.run(["compile", "models/mlp.dlg", "--emit", "ir", "--print-after", "dce"])
        XCTAssertTrue(o.stdout.hasPrefix("// after dce\ngraph MLP {"), o.stdout)
    }

    /// The inference plan folds batch norm (its weights once per state) unless the pass is
    /// disabled; the training step keeps it; --print-after shows the folded graph.
    func testInferenceRewritesInThePlan() throws {
        let folded = try DLCProcess.run(["compile", "models/digits_resnet.dlg", "--emit", "plan"])
        XCTAssertEqual(folded.status, 0, folded.stderr)
        XCTAssertTrue(folded.stdout.contains("[once per state]"), folded.stdout)
        XCTAssertFalse(folded.stdout.contains("batchNormInference"), folded.stdout)
        let kept = try DLCProcess.run(["compile", "models/digits_resnet.dlg", "--emit", "plan", "--disable-pass", "fold-batch-norm"])
        XCTAssertTrue(kept.stdout.contains("batchNormInference"), kept.stdout)
        XCTAssertFalse(kept.stdout.contains("[once per state]"), kept.stdout)
        let training = try DLCProcess.run(["compile", "models/digits_resnet.dlg", "--emit", "plan", "--train"])
        XCTAssertTrue(training.stdout.contains("batchNormTraining"), training.stdout)
        XCTAssertFalse(training.stdout.contains("[once per state]"), training.stdout)
        // dlc bench --infer counts the kernels every step runs, the folded weights' apart.
        func bench(_ extra: [String]) throws -> [String: Any] {
            let o = try DLCProcess.run(["bench", "models/digits_resnet.dlg", "--infer", "--batch", "2", "--runs", "1", "--steps", "1", "--json"] + extra)
            XCTAssertEqual(o.status, 0, o.stderr)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any])
        }
        let foldedBench = try bench([]), keptBench = try bench(["--disable-pass", "fold-batch-norm"])
        XCTAssertGreaterThan(foldedBench["once_per_state_kernels"] as? Int ?? 0, 0)
        XCTAssertEqual(keptBench["once_per_state_kernels"] as? Int, 0)
        XCTAssertLessThan(foldedBench["kernels"] as? Int ?? .max, keptBench["kernels"] as? Int ?? 0)
        let printed = try DLCProcess.run(["compile", "models/digits_mlp.dlg", "--emit", "fused", "--print-after", "remove-dropout"])
        XCTAssertTrue(printed.stdout.hasPrefix("// after remove-dropout\ngraph DigitsMLP {"), printed.stdout)
        // remove-dropout redirects the uses of the product; the mask is gone from the final graph.
        let final = try XCTUnwrap(printed.stdout.components(separatedBy: "graph DigitsMLP {").last)
        XCTAssertTrue(printed.stdout.contains("dropout_mask"), printed.stdout)
        XCTAssertFalse(final.contains("dropout"), printed.stdout)
    }

    func testBenchDisablesAPassAndRejectsAnUnknownOne() throws {
        let fused = try DLCProcess.run(["bench", "models/mlp.dlg", "--batch", "2", "--runs", "1", "--steps", "1", "--json"])
        let unfused = try DLCProcess.run(["bench", "models/mlp.dlg", "--batch", "2", "--runs", "1", "--steps", "1", "--json",
                                          "--disable-pass", "fuse-epilogue"])
        XCTAssertEqual(fused.status, 0, fused.stderr)
        XCTAssertEqual(unfused.status, 0, unfused.stderr)
        XCTAssertTrue(fused.stdout.contains("\"kernels\":20,"), fused.stdout)
        XCTAssertTrue(unfused.stdout.contains("\"kernels\":25,"), unfused.stdout)
        let o = try DLCProcess.run(["bench", "models/mlp.dlg", "--disable-pass", "nope"])
        XCTAssertEqual(o.status, 1)
        XCTAssertTrue(o.stderr.contains("error: unknown pass 'nope'"), o.stderr)
    }

    func testBenchProfileListsEveryKernelOnce() throws {
        let o = try DLCProcess.run(["bench", "models/lenet5.dlg", "--infer", "--batch", "2", "--runs", "1", "--steps", "2", "--profile"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let rows = o.stdout.split(separator: "\n").filter { $0.contains("% ") && $0.contains("step ") }
        // 8 kernels: each convolution carries its ReLU (fuse-epilogue).
        XCTAssertEqual(rows.count, 8, o.stdout)
        for i in 0..<8 { XCTAssertEqual(rows.filter { $0.contains("step \(i): ") }.count, 1, "step \(i) in \(o.stdout)") }
        let j = try DLCProcess.run(["bench", "models/lenet5.dlg", "--infer", "--batch", "2", "--runs", "1", "--steps", "2",
                                    "--profile", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let profile = object?["profile"] as? [[String: Any]]
        XCTAssertEqual(profile?.count, 8, j.stdout)
        XCTAssertEqual(profile?.first?["kernel"] as? String, "convolution", "in plan order")
        XCTAssertGreaterThan(profile?.first?["ms"] as? Double ?? 0, 0)
        let c = try DLCProcess.run(["bench", "models/lenet5.dlg", "--compile", "--profile"])
        XCTAssertNotEqual(c.status, 0)
        XCTAssertTrue(c.stderr.contains("--profile"), c.stderr)
    }

    func testBenchCompileTimesTheWholePipelineToAPlan() throws {
        for (flags, mode) in [([String](), "train"), (["--infer"], "infer")] {
            let o = try DLCProcess.run(["bench", "models/lenet5.dlg", "--compile", "--runs", "1", "--json"] + flags)
            XCTAssertEqual(o.status, 0, o.stderr)
            let j = try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any] ?? [:]
            XCTAssertEqual(j["mode"] as? String, mode)
            let parts = ["parse_ms", "elaborate_ms", "passes_ms", "training_step_ms", "optimize_ms", "lower_ms"]
                .map { j[$0] as? Double ?? -1 }
            XCTAssertTrue(parts.allSatisfy { $0 >= 0 }, o.stdout)
            XCTAssertEqual(j["compile_ms_median"] as? Double ?? 0, parts.reduce(0, +), accuracy: 1e-6, "the total is the sum of the phases")
            XCTAssertGreaterThan(j["lower_ms"] as? Double ?? 0, 0, o.stdout)
        }
    }

    func testPluginsListsTheBuiltIns() throws {
        let o = try DLCProcess.run(["plugins"])
        XCTAssertEqual(o.status, 0)
        XCTAssertTrue(o.stdout.contains("builtin"))
        XCTAssertTrue(o.stdout.contains("dense"))
        let passes = o.stdout.split(separator: "\n").first { $0.hasPrefix("  passes: ") }
        for name in ["autodiff", "cse", "dce", "fold-batch-norm", "fuse-batch-sum", "fuse-elementwise", "fuse-epilogue", "fuse-horizontal", "fuse-softmax-loss",
                     "infer-shapes", "remove-dropout", "simplify", "verify"] {
            XCTAssertTrue(passes?.contains(name) == true, "\(name) in \(o.stdout)")
        }
    }
}
