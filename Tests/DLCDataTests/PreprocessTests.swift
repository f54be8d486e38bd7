import DLCCore
@testable import DLCData
import Foundation
import XCTest

final class PreprocessTests: XCTestCase {
    func data(_ x: [Float], shape: [Int], labels: [Int32]) throws -> Dataset {
        try Dataset(x: HostTensor(shape: shape, f32: x), y: HostTensor(shape: [labels.count], storage: .i32(labels)))
    }

    func testUpscaleBilinearHalfPixel() throws {
        // 2×2 → 4×4 with half-pixel centres: output coordinates map to -0.25, 0.25, 0.75, 1.25
        // (clamped to 0...1), as torch.nn.functional.interpolate(align_corners=False).
        let d = try data([0, 1, 2, 3], shape: [1, 1, 2, 2], labels: [0])
        let u = try Preprocess.upscale(d, size: 4)
        XCTAssertEqual(u.x.shape, [1, 1, 4, 4])
        XCTAssertEqual(u.x.floats, [0, 0.25, 0.75, 1,
                                    0.5, 0.75, 1.25, 1.5,
                                    1.5, 1.75, 2.25, 2.5,
                                    2, 2.25, 2.75, 3])
        let same = try Preprocess.upscale(d, size: 2)
        XCTAssertEqual(same.x, d.x)
        let digits = try Preprocess.upscale(try Digits.load(), size: 28)
        XCTAssertEqual(digits.x.shape, [1797, 1, 28, 28])
        XCTAssertTrue(digits.x.floats.allSatisfy { $0 >= 0 && $0 <= 1 })
        assertDataError("upscale: expects images [N, C, H, W] or [N, H, W], got shape [1, 4]") {
            try Preprocess.upscale(try data([0, 1, 2, 3], shape: [1, 4], labels: [0]), size: 8)
        }
    }

    func testFlattenBinarizeOneHot() throws {
        let d = try data([0.2, 0.6, 0.5, 0.9], shape: [2, 1, 2], labels: [2, 0])
        XCTAssertEqual(Preprocess.flatten(d).x.shape, [2, 2])
        XCTAssertEqual(Preprocess.binarize(d).x.floats, [0, 1, 0, 1])
        XCTAssertEqual(Preprocess.binarize(d, threshold: 0.1).x.floats, [1, 1, 1, 1])
        let o = try Preprocess.oneHot(d, classes: 3)
        XCTAssertEqual(o.y, HostTensor(shape: [2, 3], f32: [0, 0, 1, 1, 0, 0]))
        assertDataError("train.npy: example 0: label 2 is out of range for 2 classes (0...1)") {
            try Preprocess.oneHot(d, classes: 2, source: "train.npy")
        }
    }

    func testStandardizeFittedOnTrainOnly() throws {
        let train = try data([1, 10, 3, 10], shape: [2, 2], labels: [0, 1])
        let test = try data([5, 7], shape: [1, 2], labels: [0])
        let s = try Standardizer.fit(train)
        XCTAssertEqual(s.mean, [2, 10])
        XCTAssertEqual(s.std, [1, 1], "a constant feature gets std 1")
        XCTAssertEqual(try s.apply(train).x.floats, [-1, 0, 1, 0])
        XCTAssertEqual(try s.apply(test).x.floats, [3, -3], "test uses the training statistics")
        let saved = try JSONEncoder().encode(s)
        XCTAssertEqual(try JSONDecoder().decode(Standardizer.self, from: saved), s)
        assertDataError("standardize: fitted on 2 features, applied to 1") {
            try s.apply(try data([1], shape: [1, 1], labels: [0]))
        }
    }

    func testMinMax() throws {
        let train = try data([0, 5, 10, 5], shape: [2, 2], labels: [0, 1])
        let m = try MinMaxScaler.fit(train, low: -1, high: 1)
        XCTAssertEqual(m.min, [0, 5])
        XCTAssertEqual(m.max, [10, 5])
        XCTAssertEqual(try m.apply(train).x.floats, [-1, -1, 1, -1])
        XCTAssertEqual(try m.apply(try data([20, 0], shape: [1, 2], labels: [0])).x.floats, [3, -1], "no clipping")
        assertDataError("minmax: low (1.0) must be less than high (0.0)") { try MinMaxScaler.fit(train, low: 1, high: 0) }
    }

    func testPipelineFitsOnTrainAndSavesAsJSON() throws {
        let splits = try Splits(try Digits.load(), train: 0.7, validation: 0.1, seed: 3)
        let (prepared, fitted) = try FittedPreprocessing.prepare(splits, steps: [.upscale(size: 12), .flatten, .standardize, .oneHot()])
        XCTAssertEqual(prepared.train.x.shape, [1258, 144])
        XCTAssertEqual(prepared.validation.x.shape, [180, 144])
        XCTAssertEqual(prepared.test.x.shape, [359, 144])
        XCTAssertEqual(prepared.test.y.shape, [359, 10])
        guard case .standardize(let s) = fitted.steps[2] else { return XCTFail("\(fitted.steps)") }
        // The mean of the standardized training features is 0, of the test ones not exactly.
        let f = prepared.train.x.floats
        let mean0 = (0..<1258).map { Double(f[$0 * 144 + 40]) }.reduce(0, +) / 1258
        XCTAssertEqual(mean0, 0, accuracy: 1e-5)
        XCTAssertEqual(s.mean.count, 144)
        XCTAssertEqual(fitted.steps[3], .oneHot(classes: 10))
        let json = try JSONEncoder().encode(fitted)
        let back = try JSONDecoder().decode(FittedPreprocessing.self, from: json)
        XCTAssertEqual(back, fitted)
        XCTAssertEqual(try back.apply(splits.test), prepared.test)
    }
}
