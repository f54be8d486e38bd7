import DLCCore
@testable import DLCData
import Foundation
import XCTest

final class NpzTests: DataTestCase {
    func testWriteThenRead() throws {
        let x = HostTensor(shape: [3, 2], f32: [1, 2, 3, 4, 5, 6]), y = HostTensor(shape: [3], storage: .i32([0, 1, 1]))
        try Npz.write(["x": x, "y": y], to: path("d.npz"))
        let all = try Npz.read(path("d.npz"))
        XCTAssertEqual(all["x"]?.tensor, x)
        XCTAssertEqual(all["y"]?.tensor, y)
        let d = try ArrayData.loadNpz(path("d.npz"))
        XCTAssertEqual(d, try Dataset(x: x, y: y))
    }

    func testCommittedNumpyFixtures() throws {
        let c = try Npz.read(fixture("numpy_compressed.npz"))
        XCTAssertEqual(c["x"]?.tensor, HostTensor(shape: [3, 4], f64: (0..<12).map { Double($0) - 5.5 }))
        XCTAssertEqual(c["y"]?.tensor, HostTensor(shape: [3], storage: .i32([0, 2, 1])))
        let d = try ArrayData.loadNpz(fixture("numpy_compressed.npz"))
        XCTAssertEqual(d.x, HostTensor(shape: [3, 4], f32: (0..<12).map { Float($0) - 5.5 }))
        let s = try Npz.read(fixture("numpy_stored.npz"))
        XCTAssertEqual(s["x"]?.tensor, HostTensor(shape: [2, 2], storage: .bool([true, false, false, true])))
        XCTAssertEqual(s["y"], NpyArray(tensor: HostTensor(shape: [2], storage: .i32([3, 250])), dtype: .u1))
    }

    func testNumpyInterop() throws {
        try Npz.write(["a": HostTensor(shape: [2], f64: [1, 2])], to: path("mine.npz"))
        try python("""
            z = np.load('mine.npz'); assert list(z['a']) == [1.0, 2.0], z['a']
            np.savez_compressed('c.npz', features=np.random.default_rng(0).random((50, 7)).astype('f4'), labels=np.arange(50) % 3)
            np.savez('s.npz', features=np.ones((5, 7), 'f8'), labels=np.arange(5))
            """)
        let c = try ArrayData.loadNpz(path("c.npz"), x: "features", y: "labels")
        XCTAssertEqual(c.x.shape, [50, 7])
        XCTAssertEqual(c.y, HostTensor(shape: [50], storage: .i32((0..<50).map { Int32($0 % 3) })))
        let s = try ArrayData.loadNpz(path("s.npz"), x: "features", y: "labels")
        XCTAssertEqual(s.x, HostTensor(shape: [5, 7], f32: [Float](repeating: 1, count: 35)))
    }

    func testErrors() throws {
        try Npz.write(["x": HostTensor(shape: [2], f32: [1, 2])], to: path("one.npz"))
        assertDataError("\(path("one.npz")): no array 'y' (the file has 'x')") { try ArrayData.loadNpz(path("one.npz")) }
        let notZip = try write("no.npz", "hello")
        assertDataError("\(notZip): not a zip archive (.npz): no end-of-central-directory record") { try Npz.read(notZip) }
        // Corrupt one data byte: the CRC no longer matches.
        var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("one.npz"))))
        let at = 30 + 5 + 128  // local header, name "x.npy", .npy header: the first element
        b[at] ^= 0xff
        let crc = try write("crc.npz", b)
        assertDataError("\(crc): member 'x.npy': corrupt zip archive: CRC-32 mismatch") { try Npz.read(crc) }
        // A member whose .npy data is short.
        let short = Array(try Npy.encode(HostTensor(shape: [4], f32: [1, 2, 3, 4])).dropLast(4))
        try writeFileBytes(try Zip.archive([(name: "x.npy", data: short)]), to: path("short.npz"))
        assertDataError("\(path("short.npz")): member 'x.npy': truncated .npy data: shape (4,) of '<f4' needs 16 bytes, but only 12 follow the header") {
            try Npz.read(path("short.npz"))
        }
        // A truncated archive.
        let cut = try write("cut.npz", Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("numpy_compressed.npz")))).prefix(300)))
        assertDataError("\(cut): not a zip archive (.npz): no end-of-central-directory record") { try Npz.read(cut) }
    }

    func testShapeMismatchBetweenXAndY() throws {
        try Npy.write(HostTensor(shape: [3, 2], f32: [1, 2, 3, 4, 5, 6]), to: path("x.npy"))
        try Npy.write(HostTensor(shape: [2], storage: .i64([0, 1])), to: path("y.npy"))
        assertDataError("x and y differ in length: \(path("x.npy")) has 3 examples (shape [3, 2]), \(path("y.npy")) has 2 (shape [2])") {
            try ArrayData.loadNpy(x: path("x.npy"), y: path("y.npy"))
        }
    }

    func testNaNAndInfInFeatures() throws {
        try Npy.write(HostTensor(shape: [2, 2], f32: [1, 2, .nan, 4]), to: path("x.npy"))
        try Npy.write(HostTensor(shape: [2, 2], f64: [1, 2, 3, .infinity]), to: path("xi.npy"))
        try Npy.write(HostTensor(shape: [2], storage: .i32([0, 1])), to: path("y.npy"))
        assertDataError("\(path("x.npy")): example 1, feature 0: NaN in the features") { try ArrayData.loadNpy(x: path("x.npy"), y: path("y.npy")) }
        assertDataError("\(path("xi.npy")): example 1, feature 1: infinite value in the features") {
            try ArrayData.loadNpy(x: path("xi.npy"), y: path("y.npy"))
        }
    }

    func testLabelOutOfRange() throws {
        try Npy.write(HostTensor(shape: [3, 1], f32: [1, 2, 3]), to: path("x.npy"))
        try Npy.write(HostTensor(shape: [3], storage: .i32([0, 10, 1])), to: path("y.npy"))
        let d = try ArrayData.loadNpy(x: path("x.npy"), y: path("y.npy"))
        assertDataError("\(path("y.npy")): example 1: label 10 is out of range for 10 classes (0...9)") {
            try d.validate(classes: 10, source: path("y.npy"))
        }
        try Npy.write(HostTensor(shape: [3], storage: .i32([0, -1, 1])), to: path("neg.npy"))
        assertDataError("\(path("neg.npy")): example 1: label -1 is negative") { try ArrayData.loadNpy(x: path("x.npy"), y: path("neg.npy")) }
    }
}
