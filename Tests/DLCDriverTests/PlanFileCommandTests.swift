import DLCCore
import DLCData
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc compile -o`, `dlc train -o` and `dlc run`: plans with weights written to .dlp files,
/// run on .npy inputs, and every way those files can be wrong.
final class PlanFileCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-plan-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func images(_ n: Int) throws -> String {
        let x = HostTensor(shape: [n, 1, 8, 8], f32: (0..<(n * 64)).map { Float($0 % 17) / 16 })
        try Npy.write(x, to: path("x.npy"))
        return path("x.npy")
    }

    func testCompileThenRunWritesOutputs() throws {
        let c = try DLCProcess.run(["compile", "models/digits_mlp.dlg", "-o", path("m.dlp")])
        XCTAssertEqual(c.status, 0, c.stderr)
        let r = try DLCProcess.run(["run", path("m.dlp"), "--input", "image=\(try images(5))", "--output", path("out")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let probs = try Npy.read(path("out/probs.npy")).tensor
        XCTAssertEqual(probs.shape, [5, 10])
        for row in 0..<5 {
            XCTAssertEqual(probs.doubles[(row * 10)..<(row * 10 + 10)].reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func testTrainedPlanClassifiesTheDigits() throws {
        let t = try DLCProcess.run(["train", "models/digits_mlp.dlg", "--epochs", "15", "--no-record", "-o", path("t.dlp")], timeout: 120)
        XCTAssertEqual(t.status, 0, t.stderr)
        let digits = try Digits.load()
        let first = digits.subset(Array(0..<100))
        try Npy.write(first.x, to: path("x.npy"))
        let r = try DLCProcess.run(["run", path("t.dlp"), "--input", "image=\(path("x.npy"))", "--output", path("out")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let probs = try Npy.read(path("out/probs.npy")).tensor.doubles
        var correct = 0
        for i in 0..<100 {
            let row = Array(probs[(i * 10)..<(i * 10 + 10)])
            if row.firstIndex(of: row.max()!) == Int(first.y.doubles[i]) { correct += 1 }
        }
        XCTAssertGreaterThanOrEqual(correct, 90)
    }

    func testRunErrors() throws {
        XCTAssertEqual(try DLCProcess.run(["compile", "models/digits_mlp.dlg", "-o", path("m.dlp")]).status, 0)
        let x = try images(3)
        let cases: [([String], String)] = [
            (["run", path("m.dlp")], "error: missing input 'image': give it with --input image=FILE.npy\n"),
            (["run", path("m.dlp"), "--input", "label=\(x)"], "error: '\(path("m.dlp"))' has no input 'label' (inputs: image)\n"),
            (["run", path("m.dlp"), "--input", "image=\(path("nope.npy"))"], "error: \(path("nope.npy")): cannot open: no such file\n"),
        ]
        for (args, message) in cases {
            let o = try DLCProcess.run(args)
            XCTAssertEqual(o.status, 1, o.stderr)
            XCTAssertEqual(o.stderr, message)
        }
        try Npy.write(HostTensor(shape: [3, 64], f32: Array(repeating: 0, count: 192)), to: path("flat.npy"))
        let wrong = try DLCProcess.run(["run", path("m.dlp"), "--input", "image=\(path("flat.npy"))"])
        XCTAssertEqual(wrong.stderr, "error: \(path("flat.npy")): input 'image' must be f32[N, 1, 8, 8], found f32[3, 64]\n")
    }

    func testCorruptPlanFilesAreRefused() throws {
        XCTAssertEqual(try DLCProcess.run(["compile", "models/digits_mlp.dlg", "-o", path("m.dlp")]).status, 0)
        let good = try [UInt8](Data(contentsOf: dir.appendingPathComponent("m.dlp")))
        let x = try images(2)
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        for (name, bytes) in [("empty", [UInt8]()), ("truncated", Array(good.prefix(good.count / 3))), ("flipped", flipped),
                              ("text", Array("not a plan".utf8))] {
            try Data(bytes).write(to: dir.appendingPathComponent("\(name).dlp"))
            let o = try DLCProcess.run(["run", path("\(name).dlp"), "--input", "image=\(x)"])
            XCTAssertEqual(o.status, 1, "\(name): \(o.stderr)")
            XCTAssertFalse(o.crashed)
            XCTAssertTrue(o.stderr.hasPrefix("error: \(path("\(name).dlp")): "), "\(name): \(o.stderr)")
        }
    }

    func testUsageErrorsOfRun() throws {
        let missing = try DLCProcess.run(["run", path("missing.dlp"), "--input", "image=x.npy"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("Error: cannot read '\(path("missing.dlp"))': No such file or directory\n"), missing.stderr)
        XCTAssertEqual(try DLCProcess.run(["run", "x.dlp", "--input", "image"]).status, 2)
        XCTAssertEqual(try DLCProcess.run(["run"]).status, 2)
    }
}
