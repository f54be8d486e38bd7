import DLCCore
import DLCCPU
import DLCData
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc compile -o model.dlp --weights FILE`: the plan carries the loaded weights; the
/// report goes to stderr; mapping options and their usage errors.
final class CompileWeightsCommandTests: XCTestCase {
    func testCompileWritesAPlanWithTheLoadedWeights() throws {
        let dir = NSTemporaryDirectory() + "dlc-compile-weights-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            model M {
              input x: f32[N, 3]
              output y = dense(x, 2, name: "fc") |> relu
            }
            """.write(toFile: dir + "/m.dlg", atomically: true, encoding: .utf8)
        let w = HostTensor(shape: [2, 3], storage: .f32([1, 2, 3, 4, 5, 6]))
        let b = HostTensor(shape: [2], storage: .f64([0.5, -0.5]))
        try Safetensors.write(["model.linear.weight": w, "model.linear.bias": b, "model.extra": w], to: dir + "/w.safetensors")

        let ok = try DLCProcess.run(["compile", dir + "/m.dlg", "-o", dir + "/m.dlp", "--weights", dir + "/w.safetensors",
                                     "--strip-prefix", "model.", "--rename", "^linear\\.=fc.", "--partial"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stderr.contains("init: loaded 2 of 2 parameters"), ok.stderr)
        XCTAssertTrue(ok.stderr.contains("    model.extra [2, 3]"), ok.stderr)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/m.dlp")))
        let plan = try PlanFile.decode(bytes, registry: TestCompiler.registry, source: "m.dlp")
        XCTAssertEqual(plan.weights["fc.weight"], w)
        XCTAssertEqual(plan.weights["fc.bias"], HostTensor(shape: [2], storage: .f32([0.5, -0.5])))

        // Strict by default: the unexpected tensor is refused, with the report, status 1.
        let strict = try DLCProcess.run(["compile", dir + "/m.dlg", "-o", dir + "/s.dlp", "--weights", dir + "/w.safetensors",
                                         "--strip-prefix", "model.", "--rename", "^linear\\.=fc."])
        XCTAssertEqual(strict.status, 1)
        XCTAssertTrue(strict.stderr.hasPrefix("error: init: strict loading found 1 problem (give strict: false to load what matches)"), strict.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.dlp"))

        for (args, message) in [
            (["--weights", "w.safetensors"], "--weights applies to -o"),
            (["-o", dir + "/x.dlp", "--partial"], "--strip-prefix, --rename and --partial apply to --weights"),
            (["-o", dir + "/x.dlp", "--weights", "w", "--rename", "nothing"], "--rename takes PATTERN=REPLACEMENT, found 'nothing'"),
        ] {
            let r = try DLCProcess.run(["compile", dir + "/m.dlg"] + args)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
    }
}
