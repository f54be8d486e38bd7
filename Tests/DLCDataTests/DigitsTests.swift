import DLCCore
@testable import DLCData
import Foundation
import XCTest
import _DLCTestSupport

final class DigitsTests: XCTestCase {
    func testEmbeddedBytesAreTheCommittedFile() throws {
        let url = Repository.root.appendingPathComponent("data/digits.csv.gz")
        let file = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(file.count, 57523)
        XCTAssertEqual(Digits.embeddedGzip, file)
        let fromFile = try Digits.parse(csv: try Zlib.gunzip(file, source: url.path), source: url.path)
        XCTAssertEqual(try Digits.load(), fromFile)
    }

    func testShapeFirstRowAndClassCounts() throws {
        let d = try Digits.load()
        XCTAssertEqual(d.x.shape, [1797, 1, 8, 8])
        XCTAssertEqual(d.y.shape, [1797])
        XCTAssertEqual(d.x.dtype, .f32)
        XCTAssertEqual(d.y.dtype, .i32)
        let first: [Float] = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
                              0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]
        XCTAssertEqual(Array(d.x.floats.prefix(64)), first.map { $0 / 16 })
        guard case .i32(let labels) = d.y.storage else { return XCTFail("labels not i32") }
        XCTAssertEqual(labels[0], 0)
        XCTAssertEqual(labels[1], 1)
        var counts = [Int](repeating: 0, count: 10)
        for l in labels { counts[Int(l)] += 1 }
        XCTAssertEqual(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        XCTAssertEqual(d.x.floats.min(), 0)
        XCTAssertEqual(d.x.floats.max(), 1)
        try d.validate(classes: 10)
    }

    func testUpscaleAndBinarizeOptions() throws {
        let d = try Digits.load(upscale: 28, binarize: true)
        XCTAssertEqual(d.x.shape, [1797, 1, 28, 28])
        XCTAssertTrue(d.x.floats.allSatisfy { $0 == 0 || $0 == 1 })
    }
}
