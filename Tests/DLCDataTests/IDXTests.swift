import DLCCore
@testable import DLCData
import Foundation
import XCTest

final class IDXTests: DataTestCase {
    /// An IDX file: magic 0 0 type rank, big-endian dimensions, then `data`.
    func idx(_ type: UInt8, _ dims: [Int], _ data: [UInt8]) -> [UInt8] {
        [0, 0, type, UInt8(dims.count)] + dims.flatMap { d in (0..<4).map { UInt8((d >> (8 * (3 - $0))) & 0xff) } } + data
    }

    func testMNISTStylePair() throws {
        let images = try write("img", idx(0x08, [2, 2, 3], [0, 255, 51, 0, 0, 0, 255, 255, 255, 0, 0, 102]))
        let labels = try write("lab", idx(0x08, [2], [7, 3]))
        let d = try IDX.load(images: images, labels: labels)
        XCTAssertEqual(d.x, HostTensor(shape: [2, 1, 2, 3], f32: [0, 1, 0.2, 0, 0, 0, 1, 1, 1, 0, 0, 0.4]))
        XCTAssertEqual(d.y, HostTensor(shape: [2], storage: .i32([7, 3])))
    }

    func testOtherTypesAndGzip() throws {
        let f = try write("f", idx(0x0D, [2], [0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0]))
        XCTAssertEqual(try IDX.read(f), HostTensor(shape: [2], f32: [1.5, -2.5]))
        let i = try write("i", idx(0x0B, [1, 2], [0xff, 0xfe, 0x01, 0x00]))
        XCTAssertEqual(try IDX.read(i), HostTensor(shape: [1, 2], storage: .i32([-2, 256])))
        try python("""
            import gzip
            open('raw', 'wb').write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]))
            gzip.open('raw.gz', 'wb').write(open('raw', 'rb').read())
            """)
        XCTAssertEqual(try IDX.read(path("raw.gz")), HostTensor(shape: [3], storage: .i32([1, 2, 3])))
    }

    func testErrors() throws {
        let magic = try write("m", [0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 0])
        assertDataError("\(magic): not an IDX file: the magic number must start with two zero bytes, found 0x1f00") { try IDX.read(magic) }
        let type = try write("t", idx(0x0A, [1], [0]))
        assertDataError("\(type): unsupported IDX element type 0x0a (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)") { try IDX.read(type) }
        let short = try write("s", Array(idx(0x08, [2, 28, 28], []).prefix(9)))
        assertDataError("\(short): truncated IDX header: 3 dimensions need 16 bytes, the file has 9") { try IDX.read(short) }
        let lie = try write("l", idx(0x08, [2, 2], [1, 2, 3]))
        assertDataError("\(lie): IDX data size does not match the header: dimensions [2, 2] need 4 bytes, the file has 3") { try IDX.read(lie) }
        let img = try write("img", idx(0x08, [3, 1, 1], [1, 2, 3]))
        let lab = try write("lab", idx(0x08, [2], [1, 2]))
        assertDataError("images and labels differ in length: \(img) has 3 images, \(lab) has 2 labels") { try IDX.load(images: img, labels: lab) }
        let badGz = try write("bad.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2])
        XCTAssertThrowsError(try IDX.read(badGz)) { e in
            XCTAssertTrue((e as? DLCError)?.message.hasPrefix("\(badGz): corrupt gzip data: ") == true, "\(e)")
        }
    }
}
