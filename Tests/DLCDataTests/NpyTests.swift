import DLCCore
@testable import DLCData
import Foundation
import XCTest

final class NpyTests: DataTestCase {
    func testRoundTripEveryDType() throws {
        let cases: [(HostTensor, NpyDType, HostTensor)] = [
            (HostTensor(shape: [2, 3], f32: [0, -1.5, 3.25, .greatestFiniteMagnitude, 1e-30, 7]), .f4,
             HostTensor(shape: [2, 3], f32: [0, -1.5, 3.25, .greatestFiniteMagnitude, 1e-30, 7])),
            (HostTensor(shape: [4], f64: [0.1, -2e300, 5, .pi]), .f8, HostTensor(shape: [4], f64: [0.1, -2e300, 5, .pi])),
            (HostTensor(shape: [2, 2], storage: .i32([Int32.min, -1, 0, Int32.max])), .i4,
             HostTensor(shape: [2, 2], storage: .i32([Int32.min, -1, 0, Int32.max]))),
            (HostTensor(shape: [3], storage: .i64([Int64.min, 42, Int64.max])), .i8, HostTensor(shape: [3], storage: .i64([Int64.min, 42, Int64.max]))),
            (HostTensor(shape: [1, 3], storage: .i32([0, 128, 255])), .u1, HostTensor(shape: [1, 3], storage: .i32([0, 128, 255]))),
            (HostTensor(shape: [2, 1, 2], storage: .bool([true, false, false, true])), .b1,
             HostTensor(shape: [2, 1, 2], storage: .bool([true, false, false, true]))),
            (HostTensor(shape: [0, 5], f32: []), .f4, HostTensor(shape: [0, 5], f32: [])),
            (HostTensor(shape: [], f64: [2.5]), .f8, HostTensor(shape: [], f64: [2.5])),
        ]
        for (i, (t, dt, expected)) in cases.enumerated() {
            for version in [1, 2] {
                let p = path("a\(i)v\(version).npy")
                try Npy.write(t, to: p, as: dt, version: version)
                let back = try Npy.read(p)
                XCTAssertEqual(back.tensor, expected, "\(dt) v\(version)")
                XCTAssertEqual(back.dtype, dt)
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)))
                XCTAssertEqual(bytes[6], UInt8(version))
                let headerEnd = (version == 1 ? 10 : 12) + Int(bytes[8]) + Int(bytes[9]) << 8
                XCTAssertEqual(headerEnd % 64, 0, "data is 64-byte aligned")
            }
        }
    }

    func testHeaderText() throws {
        let b = try Npy.encode(HostTensor(shape: [3], f32: [1, 2, 3]))
        let text = String(decoding: b[10..<(10 + Int(b[8]))], as: UTF8.self)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }")
    }

    func testReadsCommittedNumpyFixtures() throws {
        let a = try Npy.read(fixture("numpy_f4_2x3.npy"))
        XCTAssertEqual(a.tensor, HostTensor(shape: [2, 3], f32: [0, 0.25, 0.5, 0.75, 1, 1.25]))
        XCTAssertEqual(a.dtype, .f4)
        let f = try Npy.read(fixture("numpy_i8_fortran.npy"))
        XCTAssertEqual(f.tensor, HostTensor(shape: [2, 3], storage: .i64([0, 1, 2, 3, 4, 5])), "Fortran order converted to C order")
    }

    func testReadsWhatNumpyWrites() throws {
        try python("""
            np.save('f4.npy', np.arange(24, dtype='<f4').reshape(2, 3, 4) / 8)
            np.save('f8be.npy', np.array([[1.5, -2], [3, 4e100]], dtype='>f8'))
            np.save('i4be.npy', np.array([-7, 9, 2**31 - 1], dtype='>i4'))
            np.save('i8f.npy', np.asfortranarray(np.arange(24, dtype='<i8').reshape(2, 3, 4)))
            np.save('u1.npy', np.array([0, 7, 255], dtype='u1'))
            np.save('b1.npy', np.array([[True, False, True]]))
            np.save('scalar.npy', np.float32(3.5))
            np.save('f2.npy', np.zeros(2, dtype='<f2'))
            np.save('v2.npy', np.zeros(1, dtype=[('a' * 70000, '<f4')]))
            """)
        XCTAssertEqual(try Npy.read(path("f4.npy")).tensor, HostTensor(shape: [2, 3, 4], f32: (0..<24).map { Float($0) / 8 }))
        XCTAssertEqual(try Npy.read(path("f8be.npy")).tensor, HostTensor(shape: [2, 2], f64: [1.5, -2, 3, 4e100]))
        XCTAssertEqual(try Npy.read(path("i4be.npy")).tensor, HostTensor(shape: [3], storage: .i32([-7, 9, Int32.max])))
        XCTAssertEqual(try Npy.read(path("i8f.npy")).tensor, HostTensor(shape: [2, 3, 4], storage: .i64((0..<24).map { Int64($0) })))
        XCTAssertEqual(try Npy.read(path("u1.npy")), NpyArray(tensor: HostTensor(shape: [3], storage: .i32([0, 7, 255])), dtype: .u1))
        XCTAssertEqual(try Npy.read(path("b1.npy")).tensor, HostTensor(shape: [1, 3], storage: .bool([true, false, true])))
        XCTAssertEqual(try Npy.read(path("scalar.npy")).tensor, HostTensor(shape: [], f32: [3.5]))
        assertDataError("\(path("f2.npy")): unsupported dtype '<f2' (supported: f4, f8, i4, i8, u1, b1, little- or big-endian)") {
            try Npy.read(path("f2.npy"))
        }
        // A header over 64 KiB makes numpy write version 2.0; its structured dtype is refused.
        XCTAssertThrowsError(try Npy.read(path("v2.npy"))) { e in
            XCTAssertTrue("\(e)".contains("malformed .npy header: structured or non-string dtype"), "\(e)")
        }
    }

    func testNumpyReadsWhatDlcWrites() throws {
        try Npy.write(HostTensor(shape: [2, 2], f32: [1, 2, 3, 4.5]), to: path("w_f4.npy"))
        try Npy.write(HostTensor(shape: [3], storage: .i32([1, 200, 3])), to: path("w_u1.npy"), as: .u1)
        try Npy.write(HostTensor(shape: [2], storage: .bool([true, false])), to: path("w_b1.npy"), version: 2)
        try python("""
            a = np.load('w_f4.npy'); assert a.dtype == np.float32 and a.shape == (2, 2) and a[1, 1] == 4.5, a
            b = np.load('w_u1.npy'); assert b.dtype == np.uint8 and list(b) == [1, 200, 3], b
            c = np.load('w_b1.npy'); assert c.dtype == np.bool_ and list(c) == [True, False], c
            """)
    }

    func testBigEndianAndFortranByHand() throws {
        let be = try write("be.npy", npyBytes(header: "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", data: [0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]))
        XCTAssertEqual(try Npy.read(be).tensor, HostTensor(shape: [2], storage: .i32([258, -2])))
        // [[1, 2, 3], [4, 5, 6]] in column-major order is 1 4 2 5 3 6.
        let f = try write("f.npy", npyBytes(header: "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", data: [1, 4, 2, 5, 3, 6]))
        XCTAssertEqual(try Npy.read(f).tensor, HostTensor(shape: [2, 3], storage: .i32([1, 2, 3, 4, 5, 6])))
    }

    func testWriteRejectsValuesOutsideTheDType() {
        assertDataError("cannot write i32[2] as '|u1': element 1 is 256, outside 0...255") {
            try Npy.encode(HostTensor(shape: [2], storage: .i32([1, 256])), as: .u1)
        }
        assertDataError("cannot write f32[1] as '<i4': floats need f4 or f8") {
            try Npy.encode(HostTensor(shape: [1], f32: [1]), as: .i4)
        }
    }
}
