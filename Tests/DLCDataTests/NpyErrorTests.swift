import DLCCore
@testable import DLCData
import Foundation
import XCTest

/// Every kind of broken .npy file gets its own message naming the file.
final class NpyErrorTests: DataTestCase {
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"

    func testMissingFile() {
        assertDataError("\(path("nope.npy")): cannot open: no such file") { try Npy.read(path("nope.npy")) }
    }

    func testBadMagic() throws {
        let p = try write("bad.npy", Array("PK\u{3}\u{4} this is a zip file".utf8))
        assertDataError("\(p): not a .npy file: it does not start with the magic bytes \\x93NUMPY") { try Npy.read(p) }
        let empty = try write("empty.npy", [UInt8]())
        assertDataError("\(empty): truncated .npy file: 0 bytes, shorter than the 10-byte preamble") { try Npy.read(empty) }
    }

    func testUnsupportedVersion() throws {
        var b = npyBytes(header: header, data: [UInt8](repeating: 0, count: 24))
        b[6] = 9
        let p = try write("v9.npy", b)
        assertDataError("\(p): unsupported .npy format version 9.0 (supported: 1.0, 2.0, 3.0)") { try Npy.read(p) }
    }

    func testTruncatedHeaderAndData() throws {
        let full = npyBytes(header: header, data: [UInt8](repeating: 0, count: 24))
        let h = try write("h.npy", Array(full.prefix(40)))
        assertDataError("\(h): truncated .npy header: it declares 118 bytes but only 30 follow the preamble") { try Npy.read(h) }
        let d = try write("d.npy", Array(full.dropLast(4)))
        assertDataError("\(d): truncated .npy data: shape (2, 3) of '<f4' needs 24 bytes, but only 20 follow the header") { try Npy.read(d) }
    }

    func testHeaderThatLiesAboutTheSize() throws {
        let p = try write("lie.npy", npyBytes(header: header, data: [UInt8](repeating: 0, count: 48)))
        assertDataError("\(p): the .npy header does not match the data size: shape (2, 3) of '<f4' needs 24 bytes, but 48 follow the header") {
            try Npy.read(p)
        }
        let huge = try write("huge.npy", npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: []))
        assertDataError("\(huge): malformed .npy header: shape (4611686018427387904, 4) is too large") { try Npy.read(huge) }
    }

    func testUnsupportedAndMalformedHeaders() throws {
        let c = try write("c.npy", npyBytes(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8)))
        assertDataError("\(c): unsupported dtype '<c8' (supported: f4, f8, i4, i8, u1, b1, little- or big-endian)") { try Npy.read(c) }
        let o = try write("o.npy", npyBytes(header: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data: []))
        assertDataError("\(o): unsupported dtype '|O' (supported: f4, f8, i4, i8, u1, b1, little- or big-endian)") { try Npy.read(o) }
        let noShape = try write("s.npy", npyBytes(header: "{'descr': '<f4', 'fortran_order': False, }", data: []))
        assertDataError("\(noShape): malformed .npy header: no tuple 'shape' key") { try Npy.read(noShape) }
        let neg = try write("n.npy", npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", data: []))
        assertDataError("\(neg): malformed .npy header: negative dimension -1 in shape") { try Npy.read(neg) }
        let junk = try write("j.npy", npyBytes(header: "not a dict", data: []))
        assertDataError("\(junk): malformed .npy header: expected '{' at character 1") { try Npy.read(junk) }
    }
}
