import DLCCore
import DLCData
@testable import DLCTransfer
import Foundation
import XCTest

/// Name mapping, the load report, strict and partial modes, and freeze patterns.
final class WeightMappingTests: XCTestCase {
    func f32(_ shape: [Int], _ v: Float = 1) -> HostTensor {
        HostTensor(shape: shape, storage: .f32(Array(repeating: v, count: shape.reduce(1, *))))
    }

    let model: [WeightLoadReport.Parameter] = [
        .init(name: "conv1.weight", shape: [4, 1, 3, 3], dtype: .f32), .init(name: "conv1.bias", shape: [4], dtype: .f32),
        .init(name: "conv2.weight", shape: [8, 4, 3, 3], dtype: .f32), .init(name: "head.weight", shape: [5, 32], dtype: .f32),
        .init(name: "head.bias", shape: [5], dtype: .f32),
    ]

    func testPrefixStripAndRegexRename() throws {
        let m = try NameMapping(stripPrefix: "backbone.", renames: [(#"^features\.(\d+)\."#, "conv$1."), ("^fc\\.", "head.")])
        XCTAssertEqual(m.map("backbone.features.1.weight"), "conv1.weight")
        XCTAssertEqual(m.map("features.2.bias"), "conv2.bias")
        XCTAssertEqual(m.map("backbone.fc.weight"), "head.weight")
        XCTAssertEqual(m.map("other"), "other")
        XCTAssertThrowsError(try NameMapping(renames: [("(", "x")])) {
            XCTAssertEqual("\($0)", "rename pattern '(' is not a valid regular expression")
        }
    }

    func testTheReportListsEveryKindOfTensorAtOnce() throws {
        let file = WeightFile(tensors: [
            "backbone.features.1.weight": f32([4, 1, 3, 3], 2), "backbone.features.1.bias": HostTensor(shape: [4], storage: .f64([1, 2, 3, 4])),
            "backbone.features.2.weight": f32([8, 4, 5, 5]), "backbone.classifier.weight": f32([10, 32]),
            "backbone.features.9.weight": f32([1]), "backbone.features.09.weight": f32([1]),
        ], kind: "safetensors", path: "w.safetensors")
        let mapping = try NameMapping(stripPrefix: "backbone.", renames: [(#"^features\.0*(\d+)\."#, "conv$1.")])
        let r = WeightLoadReport(file: file, mapping: mapping, parameters: model)
        XCTAssertEqual(r.matched.map(\.parameter), ["conv1.bias", "conv1.weight"])
        XCTAssertEqual(r.loaded["conv1.bias"], HostTensor(shape: [4], storage: .f32([1, 2, 3, 4])))  // f64 → f32
        XCTAssertEqual(r.loaded["conv1.weight"], f32([4, 1, 3, 3], 2))
        XCTAssertEqual(r.missing.map(\.parameter), ["head.bias", "head.weight"])
        XCTAssertEqual(r.mismatched.map(\.parameter), ["conv2.weight"])
        XCTAssertEqual(r.unexpected.map(\.fileName), ["backbone.classifier.weight", "backbone.features.09.weight", "backbone.features.9.weight"])
        XCTAssertEqual(r.collisions.map(\.parameter), [])
        XCTAssertEqual(r.problemCount, 6)
        XCTAssertEqual(r.render(), """
            init: loaded 2 of 5 parameters from w.safetensors (safetensors, 6 tensors)
              matched (2):
                conv1.bias [4] (from backbone.features.1.bias)
                conv1.weight [4, 1, 3, 3] (from backbone.features.1.weight)
              missing from the file (2, initialized fresh):
                head.bias [5]
                head.weight [5, 32]
              unexpected, not in the model (3, not used):
                backbone.classifier.weight [10, 32] (mapped to classifier.weight)
                backbone.features.09.weight [1] (mapped to conv9.weight)
                backbone.features.9.weight [1] (mapped to conv9.weight)
              shape mismatch (1, not loaded):
                conv2.weight: the file has f32[8, 4, 5, 5] (from backbone.features.2.weight), the model f32[8, 4, 3, 3]
            """)
    }

    func testTwoFileTensorsMappedToOneParameterAreACollision() throws {
        let file = WeightFile(tensors: ["a.weight": f32([5]), "b.weight": f32([5])], kind: "npz", path: "w.npz")
        let r = WeightLoadReport(file: file, mapping: try NameMapping(renames: [("^[ab]\\.", "head.")]),
                                 parameters: [.init(name: "head.weight", shape: [5], dtype: .f32)])
        XCTAssertEqual(r.collisions.first?.fileNames, ["a.weight", "b.weight"])
        XCTAssertTrue(r.render().contains("head.weight ← a.weight, b.weight"), r.render())
        XCTAssertTrue(r.loaded.isEmpty)
    }

    func testStrictModeRefusesWithTheWholeReportAndPartialModeLoads() throws {
        let dir = NSTemporaryDirectory() + "dlc-transfer-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Safetensors.write(["conv1.weight": f32([4, 1, 3, 3]), "conv1.bias": f32([4]), "extra": f32([2])], to: dir + "/w.safetensors")
        let strict = TransferSettings.WeightInit(path: "w.safetensors")
        XCTAssertThrowsError(try strict.load(into: model, relativeTo: dir)) {
            let text = "\($0)"
            XCTAssertTrue(text.hasPrefix("init: strict loading found 4 problems (give strict: false to load what matches)\ninit: loaded 2 of 5"), text)
            for name in ["conv2.weight", "head.weight", "head.bias", "extra"] { XCTAssertTrue(text.contains(name), text) }
        }
        let partial = TransferSettings.WeightInit(path: dir + "/w.safetensors", strict: false)
        XCTAssertEqual(try partial.load(into: model, relativeTo: "/elsewhere").loaded.keys.sorted(), ["conv1.bias", "conv1.weight"])

        let unrelated = TransferSettings.WeightInit(path: "w.safetensors", strict: false)
        XCTAssertThrowsError(try unrelated.load(into: [.init(name: "x", shape: [1], dtype: .f32)], relativeTo: dir)) {
            XCTAssertTrue("\($0)".hasPrefix("init: no tensor of the file matches a parameter of the model (map names with strip_prefix: or rename:)\n"), "\($0)")
        }
        let badRule = TransferSettings.WeightInit(path: "w.safetensors", renames: [["a"]])
        XCTAssertThrowsError(try badRule.load(into: model, relativeTo: dir)) {
            XCTAssertEqual("\($0)", "init: rename rule 1 must be a pair [\"PATTERN\", \"REPLACEMENT\"], found 1 string")
        }
        let badRegex = TransferSettings.WeightInit(path: "w.safetensors", renames: [["[", "x"]])
        XCTAssertThrowsError(try badRegex.load(into: model, relativeTo: dir)) {
            XCTAssertEqual("\($0)", "init: rename pattern '[' is not a valid regular expression")
        }
        XCTAssertThrowsError(try TransferSettings.WeightInit(path: "nope.safetensors").load(into: model, relativeTo: dir)) {
            XCTAssertEqual("\($0)", "init: \(dir)/nope.safetensors: no such file or directory")
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/w.pt"))
        XCTAssertThrowsError(try TransferSettings.WeightInit(path: "w.pt").load(into: model, relativeTo: dir)) {
            XCTAssertEqual("\($0)", "init: \(dir)/w.pt: unknown weights format; use a .safetensors file (a dlc checkpoint too), an .npz file or a run directory of dlc train")
        }
    }

    func testNpzFilesAndRunDirectoriesLoad() throws {
        let dir = NSTemporaryDirectory() + "dlc-transfer-run-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/run/checkpoints", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Npz.write(["conv1.bias": f32([4], 3)], to: dir + "/w.npz")
        XCTAssertEqual(try WeightFile.read(dir + "/w.npz").tensors["conv1.bias"], f32([4], 3))
        XCTAssertThrowsError(try WeightFile.read(dir + "/run")) {
            XCTAssertEqual("\($0)", "\(dir)/run: a directory without weights.safetensors or checkpoints/step-N.safetensors; give a weights file or a run directory of dlc train")
        }
        // A checkpoint: the training state (step counter, optimizer moments) is left out.
        try Safetensors.write(["conv1.bias": f32([4], 5), "train.step": f32([], 3), "optimizer.exp_avg.conv1.bias": f32([4])],
                              metadata: ["dlc_checkpoint": "{}"], to: dir + "/run/checkpoints/step-000000003.safetensors")
        let fromCheckpoint = try WeightFile.read(dir + "/run")
        XCTAssertEqual(fromCheckpoint.kind, "run directory")
        XCTAssertEqual(fromCheckpoint.tensors.keys.sorted(), ["conv1.bias"])
        try Safetensors.write(["conv1.bias": f32([4], 7)], to: dir + "/run/weights.safetensors")
        XCTAssertEqual(try WeightFile.read(dir + "/run").tensors["conv1.bias"], f32([4], 7))
        XCTAssertEqual(try WeightFile.read(dir + "/run/checkpoints/step-000000003.safetensors").kind, "dlc checkpoint")
    }

    func testPathsAreNormalizedForTheReport() {
        XCTAssertEqual(TransferSettings.WeightInit.normalized("models/../out/./w.safetensors"), "out/w.safetensors")
        XCTAssertEqual(TransferSettings.WeightInit.normalized("../x/../../w"), "../../w")
        XCTAssertEqual(TransferSettings.WeightInit.normalized("/a//b/../w"), "/a/w")
    }

    func testFreezePatternsAreGlobsOrRegularExpressions() throws {
        let names = ["conv1.weight", "conv1.bias", "conv2.weight", "head.weight", "bn.running_mean"]
        XCTAssertEqual(try ParameterPatterns(["conv*"]).select(from: names, setting: "freeze"),
                       ["conv1.weight", "conv1.bias", "conv2.weight"])
        XCTAssertEqual(try ParameterPatterns(["conv?.bias", "re:^head\\."]).select(from: names, setting: "freeze"),
                       ["conv1.bias", "head.weight"])
        XCTAssertEqual(try ParameterPatterns(["*.weight"]).select(from: names, setting: "freeze"),
                       ["conv1.weight", "conv2.weight", "head.weight"])
        XCTAssertThrowsError(try ParameterPatterns(["conv", "fc*"]).select(from: names, setting: "freeze")) {
            XCTAssertEqual("\($0)", "freeze: 'conv', 'fc*' match no trainable parameter (parameters: bn.running_mean, conv1.bias, conv1.weight, conv2.weight, head.weight)")
        }
        XCTAssertThrowsError(try ParameterPatterns(["re:("]).select(from: names, setting: "freeze")) {
            XCTAssertEqual("\($0)", "freeze: 're:(' is not a valid regular expression")
        }
    }
}
