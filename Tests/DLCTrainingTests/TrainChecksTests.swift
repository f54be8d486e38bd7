import DLCCore
import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// What `dlc train` checks before it trains (bad data, output paths, option values) and how a
/// diverging run ends: each case through the command line, with its exact message.
final class TrainChecksTests: XCTestCase {
    func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-checks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// A model of `classes` classes of 4 features (or `input`) trained on `data`, written to `dir/m.dlg`.
    func model(_ dir: String, data: String, input: String = "f32[N, 4]", classes: Int = 3) throws -> String {
        let text = """
            model M {
              input x: \(input)
              input y: i32[N]
              logits = flatten(x) |> dense(\(classes))
              loss ce = cross_entropy(logits, y)
              output logits
            }
            train M { data: \(data) }
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/m.dlg"))
        return dir + "/m.dlg"
    }

    func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    /// A version 1.0 `.npy` file of little-endian f32 or i32 values.
    func writeNpy(_ path: String, shape: [Int], f32: [Float]? = nil, i32: [Int32]? = nil) throws {
        let descr = f32 != nil ? "<f4" : "<i4"
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        if let f32 { for v in f32 { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } } }
        if let i32 { for v in i32 { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func train(_ args: [String]) throws -> DLCProcess.Outcome { try DLCProcess.run(["train"] + args + ["--no-record"], timeout: 60) }

    func testBadCSVDataIsReportedBeforeTraining() throws {
        let dir = try temporaryDirectory()
        let cases: [(csv: String, error: String)] = [
            ("a,b,c,d,label\n1,2,3,4,0\n1,2,3,1\n", "data.csv: row 3: 4 columns, expected 5 as in row 1"),
            ("a,b,c,d,e,label\n1,2,3,4,5,0\n1,2,3,4,5,1\n1,2,3,4,5,2\n",
             "the training data from \(dir)/data.csv has examples of shape [5] but input 'x' is f32[N, 4]"),
            ("a,b,c,d,label\n1,2,3,4,0\n1,nan,3,4,1\n1,2,3,4,2\n", "data.csv: row 3, column 2 ('b'): NaN in the features"),
            ("a,b,c,d,label\n1,2,3,4,0\n1,2,3,4,1\n1,2,3,4,3\n1,2,3,4,2\n",
             "data.csv: example 2: label 3 is out of range for the 3 classes (0...2) of output 'logits'"),
            ("a,b,c,d,label\n1,2,3,4,0\n1,2,3,4,-1\n1,2,3,4,2\n",
             "data.csv: example 1: label -1 is not a class index (a whole number from 0); input 'y' is i32[N]"),
        ]
        let file = try model(dir, data: "csv(path: \"data.csv\", label: \"label\")")
        for (csv, error) in cases {
            try write(csv, dir + "/data.csv")
            let r = try train([file])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stdout, "", "nothing was trained")
            let expected = error.hasPrefix("data.csv") ? "\(dir)/\(error)" : error
            XCTAssertEqual(r.stderr, "error: \(expected)\n")
        }
    }

    func testBadArrayDataIsReportedBeforeTraining() throws {
        let dir = try temporaryDirectory()
        let file = try model(dir, data: "npy(x: \"x.npy\", y: \"y.npy\")")
        try writeNpy(dir + "/y.npy", shape: [3], i32: [0, 1, 2])
        // Features of shape [2, 2] for an input of [N, 4].
        try writeNpy(dir + "/x.npy", shape: [3, 2, 2], f32: Array(repeating: 1, count: 12))
        var r = try train([file])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: the training data from \(dir)/x.npy has examples of shape [2, 2] but input 'x' is f32[N, 4]; "
            + "add 'preprocess: [flatten()]' to the train section\n")
        // NaN in the features.
        try writeNpy(dir + "/x.npy", shape: [3, 4], f32: [1, 2, 3, 4, 5, 6, .nan, 8, 9, 10, 11, 12])
        r = try train([file])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(dir)/x.npy: example 1, feature 2: NaN in the features\n")
        // A label beyond the model's classes.
        try writeNpy(dir + "/x.npy", shape: [3, 4], f32: Array(repeating: 1, count: 12))
        try writeNpy(dir + "/y.npy", shape: [3], i32: [0, 7, 2])
        r = try train([file])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(dir)/y.npy: example 1: label 7 is out of range for the 3 classes (0...2) of output 'logits'\n")
        // Float targets of the wrong width for a regression model.
        let regression = """
            model R {
              input x: f32[N, 4]
              input t: f32[N, 3]
              loss l = mse(dense(x, 3), t)
            }
            train R { data: npy(x: "x.npy", y: "t.npy") }
            """
        try write(regression, dir + "/r.dlg")
        try writeNpy(dir + "/t.npy", shape: [3, 2], f32: Array(repeating: 0.5, count: 6))
        r = try train([dir + "/r.dlg"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "", "nothing was trained")
        XCTAssertEqual(r.stderr, "error: the training data from \(dir)/t.npy has targets of shape [2] but input 't' is f32[N, 3]\n")
    }

    func testUsageErrorsComeBeforeTraining() throws {
        let missing = try DLCProcess.run(["train", "models/digits_mlp.dlg", "-o", "/nonexistent-dir/missing/x.dlp"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertTrue(missing.stderr.hasPrefix("Error: cannot write '/nonexistent-dir/missing/x.dlp': no directory '/nonexistent-dir/missing'"),
                      missing.stderr)
        for (option, message) in [("--lr", "--lr must be a positive number, found -1.0"), ("--epochs", "--epochs must be at least 1"),
                                  ("--batch", "--batch must be at least 1")] {
            let r = try DLCProcess.run(["train", "models/digits_mlp.dlg", option, "-1"])
            XCTAssertEqual(r.status, 2, option)
            XCTAssertTrue(r.stderr.hasPrefix("Error: \(message)\n"), r.stderr)
        }
        let help = try DLCProcess.run(["train", "--help"])
        let keys = help.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: #" +"#, with: " ", options: .regularExpression)
        for key in ["model", "test_accuracy", "test_loss", "epochs", "final_train_loss", "seconds", "run"] {
            XCTAssertTrue(keys.contains(" \(key),") || keys.contains(" \(key) "), "--json help names \(key): \(keys)")
        }
    }

    /// The keys `--json` documents are the keys it prints.
    func testJSONLineHasTheDocumentedKeys() throws {
        let dir = try temporaryDirectory()
        let file = try model(dir, data: "digits(split: 0.5)", input: "f32[N, 1, 8, 8]", classes: 10)
        let r = try train([file, "--epochs", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").last)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["model", "test_accuracy", "test_loss", "epochs", "final_train_loss", "seconds", "run"])
    }

    func testADivergingRunNamesTheFirstNonFiniteValueAndKeepsTheLastGoodCheckpoint() throws {
        let dir = try temporaryDirectory()
        let text = """
            model M {
              input image: f32[N, 1, 8, 8]
              input label: i32[N]
              logits = flatten(image) |> dense(10)
              loss ce = cross_entropy(logits, label)
              output logits
            }
            train M {
              data: digits()
              optimizer: sgd(lr: 1e38)
              checkpoint_every: 1
            }
            """
        try write(text, dir + "/d.dlg")
        let r = try DLCProcess.run(["train", dir + "/d.dlg", "--runs-dir", dir + "/runs"], timeout: 60)
        XCTAssertEqual(r.status, 1)
        let run = dir + "/runs/" + (try FileManager.default.contentsOfDirectory(atPath: dir + "/runs"))[0]
        let checkpoint = try XCTUnwrap(Checkpoint.files(in: run).first)
        XCTAssertNotNil(r.stderr.range(of: #"^error: the loss became -?(inf|nan) at epoch 1, step \d+ \(step \d+ of the run\); the first non-finite value: output 'logits' at \[\d+, \d+\] = -?(inf|nan)"#,
                                       options: .regularExpression), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("; lower the learning rate or clip gradients (clip_norm); the last good checkpoint is kept: \(checkpoint)\n"), r.stderr)
        let state = try Checkpoint.read(checkpoint).state
        XCTAssertTrue(state.values.allSatisfy { $0.doubles.allSatisfy(\.isFinite) })
        let status = try String(contentsOfFile: run + "/status", encoding: .utf8)
        XCTAssertTrue(status.hasPrefix("failed: the loss became"), status)
    }
}
