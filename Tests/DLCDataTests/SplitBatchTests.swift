import DLCCore
@testable import DLCData
import XCTest

final class SplitBatchTests: XCTestCase {
    func testSplitMix64ReferenceValues() {
        // The reference implementation's first outputs for seed 0.
        var r = SplitMix64(seed: 0)
        XCTAssertEqual([r.next(), r.next(), r.next()], [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        XCTAssertEqual(SplitMix64(seed: -1).state, UInt64.max)
        var a = SplitMix64(seed: 42)
        let p = a.permutation(100)
        XCTAssertEqual(p.sorted(), Array(0..<100))
        XCTAssertNotEqual(p, Array(0..<100))
        var b = SplitMix64(seed: 42)
        XCTAssertEqual(b.permutation(100), p)
        var c = SplitMix64(seed: 7)
        XCTAssertTrue((0..<1000).map { _ in c.below(3) }.allSatisfy { (0..<3).contains($0) })
    }

    func testSplitsAreDeterministicAndDisjoint() throws {
        let d = try Digits.load()
        let s1 = try Splits(d, train: 0.8, validation: 0.1, seed: 1)
        let s2 = try Splits(d, train: 0.8, validation: 0.1, seed: 1)
        let s3 = try Splits(d, train: 0.8, validation: 0.1, seed: 2)
        XCTAssertEqual(s1, s2)
        XCTAssertNotEqual(s1.train, s3.train)
        XCTAssertEqual([s1.train.count, s1.validation.count, s1.test.count], [1438, 180, 179])
        // Together they are a permutation of the data set: compare multisets of rows by label.
        func labels(_ x: Dataset) -> [Int32] { if case .i32(let a) = x.y.storage { return a } else { return [] } }
        XCTAssertEqual((labels(s1.train) + labels(s1.validation) + labels(s1.test)).sorted(), labels(d).sorted())
        let ordered = try Splits(d, train: 0.5, seed: 0, shuffle: false)
        XCTAssertEqual(ordered.train, d.subset(Array(0..<899)))
        XCTAssertEqual(ordered.validation.count, 0)
        assertDataError("invalid split: train 0.9 and validation 0.2 must be fractions with train > 0 and a sum of at most 1") {
            try Splits(d, train: 0.9, validation: 0.2, seed: 0)
        }
    }

    func testBatchesKeepOrDropTheLastPartialBatch() throws {
        let d = try Dataset(x: HostTensor(shape: [10, 1], f32: (0..<10).map(Float.init)),
                            y: HostTensor(shape: [10], storage: .i32((0..<10).map(Int32.init))))
        let kept = Batches(d, size: 4)
        XCTAssertEqual(kept.count, 3)
        XCTAssertEqual(kept.map(\.count), [4, 4, 2])
        XCTAssertEqual(Array(kept)[2].x.floats, [8, 9])
        let dropped = Batches(d, size: 4, dropLast: true)
        XCTAssertEqual(dropped.map(\.count), [4, 4])
        let e0 = Batches(d, size: 3, shuffleSeed: 9, epoch: 0), e0again = Batches(d, size: 3, shuffleSeed: 9, epoch: 0)
        let e1 = Batches(d, size: 3, shuffleSeed: 9, epoch: 1)
        XCTAssertEqual(e0.order, e0again.order)
        XCTAssertNotEqual(e0.order, e1.order)
        XCTAssertEqual(e0.flatMap(\.x.floats).sorted(), (0..<10).map(Float.init))
        // x and y rows stay together after shuffling.
        for b in e1 { XCTAssertEqual(b.x.floats, b.y.doubles.map { Float($0) }) }
    }

    func testDatasetChecks() {
        assertDataError("a.npz: x has 3 examples (shape [3, 2]) but y has 2 (shape [2])") {
            try Dataset(x: HostTensor(shape: [3, 2], f32: [1, 2, 3, 4, 5, 6]), y: HostTensor(shape: [2], storage: .i32([0, 1])), source: "a.npz")
        }
        assertDataError("d: x must be f32, not f64") {
            try Dataset(x: HostTensor(shape: [1], f64: [1]), y: HostTensor(shape: [1], storage: .i32([0])), source: "d")
        }
    }

    func testDataSourceResolvesRelativePaths() throws {
        XCTAssertEqual(try DataSource.digits().load().count, 1797)
        assertDataError("/nowhere/x.npy: cannot open: no such file") {
            try DataSource.npy(x: "x.npy", y: "y.npy").load(relativeTo: "/nowhere")
        }
    }
}
