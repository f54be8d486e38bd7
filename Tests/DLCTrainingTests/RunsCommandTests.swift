import Foundation
import XCTest
import _DLCTestSupport

/// `dlc train` records runs; `dlc runs`, `dlc runs show` and `dlc runs compare` read them.
final class RunsCommandTests: XCTestCase {
    func testListShowAndCompare() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-runs-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let a = try DLCProcess.run(["train", "models/digits_mlp.dlg", "--epochs", "2", "--runs-dir", runs, "--json"], timeout: 120)
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try DLCProcess.run(["train", "models/digits_mlp.dlg", "--epochs", "1", "--lr", "0.05", "--runs-dir", runs], timeout: 120)
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue(a.stdout.hasPrefix("recording the run in \(runs)/DigitsMLP-"), a.stdout)
        let names = try FileManager.default.contentsOfDirectory(atPath: runs).sorted()
        XCTAssertEqual(names.count, 2)
        XCTAssertTrue(a.stdout.contains("\"run\":\"\(runs)/"), a.stdout)

        let list = try DLCProcess.run(["runs", "--runs-dir", runs])
        XCTAssertEqual(list.status, 0)
        let lines = list.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("NAME"), list.stdout)
        XCTAssertEqual(lines.count, 3, list.stdout)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.contains("finished") }, list.stdout)

        let show = try DLCProcess.run(["runs", "show", names[0], "--runs-dir", runs])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("status finished"), show.stdout)
        XCTAssertTrue(show.stdout.contains("test_accuracy"), show.stdout)

        let compare = try DLCProcess.run(["runs", "compare", "\(runs)/\(names[0])", names[1], "--runs-dir", runs])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        let text = compare.stdout
        XCTAssertTrue(text.contains("settings that differ"), text)
        XCTAssertNotNil(text.range(of: #"\nepochs +2 +1\n"#, options: .regularExpression), text)
        XCTAssertNotNil(text.range(of: #"\nlr +0.03 +0.05\n"#, options: .regularExpression), text)
        XCTAssertFalse(text.contains("\nbatch "), text)
        XCTAssertTrue(text.contains("test_accuracy"), text)

        let missing = try DLCProcess.run(["runs", "show", "nope", "--runs-dir", runs])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: no run 'nope' (neither a run directory nor a run in \(runs))\n")
        let one = try DLCProcess.run(["runs", "compare", names[0], "--runs-dir", runs])
        XCTAssertEqual(one.status, 2)
    }

    func testNoRecordAndResumeUsage() throws {
        let r = try DLCProcess.run(["train", "--resume", "x", "--epochs", "2"])
        XCTAssertEqual(r.status, 2)
        let none = try DLCProcess.run(["train"])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("give the .dlg file to train, or --resume RUN"), none.stderr)
        let missing = try DLCProcess.run(["train", "--resume", "/nonexistent-run"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("error: cannot read '/nonexistent-run/settings.json'"), missing.stderr)
    }
}
