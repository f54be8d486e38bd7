import DLCCore
import DLCData
import DLCExperiment
import DLCTransfer
import Foundation
import XCTest

/// The weight loaders on untrusted bytes: deterministic random corruption and truncation of
/// valid safetensors, checkpoint and `.npz` files gives an error or a well-formed result,
/// never a crash or an out-of-bounds read.
final class WeightFileFuzzTests: XCTestCase {
    /// A valid file with tensors of several types and shapes (an empty one included).
    static let tensors: [String: HostTensor] = [
        "conv.weight": HostTensor(shape: [2, 1, 2, 2], storage: .f32((0..<8).map { Float($0) / 7 })),
        "conv.bias": HostTensor(shape: [2], storage: .f64([0.5, -1.5])),
        "steps": HostTensor(shape: [], storage: .i64([42])),
        "ids": HostTensor(shape: [3], storage: .i32([1, 2, 3])),
        "mask": HostTensor(shape: [2], storage: .bool([true, false])),
        "empty": HostTensor(shape: [0, 4], storage: .f32([])),
    ]

    /// Flips bytes, overwrites runs with random or extreme values, truncates, or extends:
    /// `cases` files from one seed.
    func mutants(of valid: [UInt8], cases: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        var out: [[UInt8]] = []
        for _ in 0..<cases {
            var b = valid
            switch below(6) {
            case 0:  // a few random bytes anywhere
                for _ in 0...below(4) { b[below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1:  // the header (where the lengths, offsets and shapes are)
                let headerEnd = min(b.count, 8 + Int(b[0]) + Int(b[1]) << 8)
                for _ in 0...below(3) { b[below(headerEnd)] = UInt8(truncatingIfNeeded: rng.next()) }
            case 2:  // truncation
                b = Array(b.prefix(below(b.count)))
            case 3:  // a digit of a number in the header replaced by another, or by many
                let digits = b.indices.filter { $0 >= 8 && b[$0] >= 0x30 && b[$0] <= 0x39 }
                if let i = digits.isEmpty ? nil : digits[below(digits.count)] {
                    b.replaceSubrange(i...i, with: Array(repeating: UInt8(0x30 + below(10)), count: 1 + below(20)))
                }
            case 4:  // the 8-byte header length
                for i in 0..<8 where below(3) == 0 { b[i] = UInt8(truncatingIfNeeded: rng.next()) }
            default:  // garbage appended or a chunk removed from the middle
                if below(2) == 0 { b += (0..<below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
                else if b.count > 16 { let s = below(b.count - 8); b.removeSubrange(s..<min(b.count, s + 1 + below(16))) }
            }
            out.append(b)
        }
        return out
    }

    /// Checks that every decoded tensor's element count matches its shape.
    func checkWellFormed(_ tensors: [String: HostTensor]) {
        for (name, t) in tensors { XCTAssertEqual(t.count, t.shape.reduce(1, *), name) }
    }

    func testCorruptSafetensorsFilesGiveErrorsNotCrashes() throws {
        let valid = try Safetensors.encode(Self.tensors, metadata: ["note": "fuzz"])
        var errors = 0, decoded = 0
        for bytes in mutants(of: valid, cases: 3000, seed: 11) {
            do {
                checkWellFormed(try Safetensors.decode(bytes, source: "fuzz.safetensors").tensors)
                decoded += 1
            } catch let e as DLCError {
                XCTAssertTrue(e.message.hasPrefix("fuzz.safetensors: "), e.message)
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 1500)  // most mutants are refused …
        XCTAssertGreaterThan(decoded, 10)   // … and the fuzzer also produces readable files
    }

    func testCorruptCheckpointsGiveErrorsNotCrashes() throws {
        let valid = try Checkpoint(state: Self.tensors, position: Checkpoint.Position()).encode()
        for bytes in mutants(of: valid, cases: 800, seed: 12) {
            do { checkWellFormed(try Checkpoint.decode(bytes, source: "c.safetensors").state) } catch is DLCError {}
        }
    }

    func testCorruptNpzFilesGiveErrorsNotCrashes() throws {
        let dir = NSTemporaryDirectory() + "dlc-npz-fuzz-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Npz.write(Self.tensors.filter { $0.key != "empty" }, to: dir + "/w.npz")
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/w.npz")))
        for bytes in mutants(of: valid, cases: 800, seed: 13) {
            do { checkWellFormed(try Npz.decode(bytes, source: "w.npz").mapValues(\.tensor)) } catch is DLCError {}
        }
    }

    // Each check of the header, by its message.

    func header(_ json: String, data: [UInt8] = []) -> [UInt8] {
        var h = [UInt8](json.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var n = UInt64(h.count).littleEndian
        return withUnsafeBytes(of: &n) { Array($0) } + h + data
    }

    func message(_ bytes: [UInt8]) -> String {
        do { _ = try Safetensors.decode(bytes, source: "w"); return "no error" } catch { return "\(error)" }
    }

    func testEveryMalformationHasItsMessage() {
        XCTAssertEqual(message([1, 2, 3]), "w: not a valid safetensors file: 3 bytes, shorter than the 8-byte header length")
        XCTAssertEqual(message([16, 0, 0, 0, 0, 0, 0, 0, 0x7b]),
                       "w: not a valid safetensors file: the header declares 16 bytes but only 1 follow")
        XCTAssertEqual(message([255, 255, 255, 255, 255, 255, 255, 255, 0]),
                       "w: not a valid safetensors file: the header declares 18446744073709551615 bytes, more than the limit of 100000000")
        XCTAssertEqual(message(header("[1, 2]")), "w: not a valid safetensors file: the header is not a JSON object")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}"#)),
                       "w: not a valid safetensors file: tensor 'a' has dtype 'F8_E4M3'; readable are BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U16, U8")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#)),
                       "w: not a valid safetensors file: tensor 'a': 'shape' is not a list of non-negative integers")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#)),
                       "w: not a valid safetensors file: tensor 'a': 'shape' is not a list of non-negative integers")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#)),
                       "w: not a valid safetensors file: tensor 'a': 'data_offsets' is not a pair of non-negative integers")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 4]}}"#)),
                       "w: not a valid safetensors file: the shape [4294967296, 4294967296, 4294967296] is too large")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: [0, 0, 0, 0])),
                       "w: not a valid safetensors file: tensor 'a': data_offsets [0, 8] do not fit its F32 shape [2] (8 bytes) within the 4 bytes of data")
        XCTAssertEqual(message(header(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, data: [0, 0, 0, 0])),
                       "w: not a valid safetensors file: tensor 'a': data_offsets [4, 0] do not fit its F32 shape [1] (4 bytes) within the 4 bytes of data")
        XCTAssertEqual(message(header(#"{"a": 3}"#)), "w: not a valid safetensors file: the entry of tensor 'a' is not an object")
        XCTAssertEqual(message(header(#"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#)), "w: not a valid safetensors file: tensor 'a' has no string 'dtype'")
        XCTAssertEqual(message(header(#"{"__metadata__": {"k": 1}}"#)), "w: not a valid safetensors file: __metadata__ is not an object of strings")
        var tooLong = header("{}")
        tooLong.replaceSubrange(0..<8, with: [0, 0xe2, 0xf5, 0x05, 0, 0, 0, 0])  // 100,000,256 bytes declared
        XCTAssertEqual(message(tooLong), "w: not a valid safetensors file: the header declares 100000256 bytes, more than the limit of 100000000")
    }

    func testHalfPrecisionAndSmallIntegersWidenOnReading() throws {
        // F16: 1, -2, 0.5, 65504 (largest), 2^-24 (smallest subnormal), inf; BF16: 1, -3.5; I8: -1, 7; U8: 255.
        let f16: [UInt16] = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00]
        let bf16: [UInt16] = [0x3f80, 0xc060]
        var data: [UInt8] = []
        for h in f16 + bf16 { data += [UInt8(h & 0xff), UInt8(h >> 8)] }
        data += [0xff, 0x07, 0xff]
        let json = #"{"h": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]}, "b": {"dtype": "BF16", "shape": [2], "data_offsets": [12, 16]}, "#
            + #""i": {"dtype": "I8", "shape": [2], "data_offsets": [16, 18]}, "u": {"dtype": "U8", "shape": [1], "data_offsets": [18, 19]}}"#
        let t = try Safetensors.decode(header(json, data: data), source: "w").tensors
        XCTAssertEqual(t["h"], HostTensor(shape: [2, 3], storage: .f32([1, -2, 0.5, 65504, Float(bitPattern: 0x3380_0000), .infinity])))
        XCTAssertEqual(t["b"], HostTensor(shape: [2], storage: .f32([1, -3.5])))
        XCTAssertEqual(t["i"], HostTensor(shape: [2], storage: .i32([-1, 7])))
        XCTAssertEqual(t["u"], HostTensor(shape: [1], storage: .i32([255])))
        XCTAssertTrue(HalfFloat.float(fromHalf: 0x7e00).isNaN)
        XCTAssertEqual(HalfFloat.float(fromHalf: 0x8000).sign, .minus)
    }

    func testValidFilesRoundTrip() throws {
        let back = try Safetensors.decode(try Safetensors.encode(Self.tensors), source: "w").tensors
        XCTAssertEqual(back, Self.tensors)
    }

    /// A file written by Hugging Face's library (scripts/make-transfer-fixtures.py).
    func testAFileOfTheReferenceLibraryReads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/python.safetensors")
        let (t, metadata) = try Safetensors.read(url.path)
        XCTAssertEqual(metadata, ["format": "pt"])
        XCTAssertEqual(t["encoder.half"], HostTensor(shape: [2, 3], storage: .f32([1, -2.5, 0.099609375, 65504, 6.103515625e-05, 0])))
        XCTAssertEqual(t["encoder.bfloat"], HostTensor(shape: [4], storage: .f32([1, -3.5, 0.10009765625, Float(1.0002555517425873e+30)])))
        XCTAssertEqual(t["encoder.double"], HostTensor(shape: [1, 2], storage: .f64([0.25, -1e-300])))
        XCTAssertEqual(t["encoder.float"], HostTensor(shape: [3, 2], storage: .f32([0, 0.25, 0.5, 0.75, 1, 1.25])))
        XCTAssertEqual(t["encoder.long"], HostTensor(shape: [2], storage: .i64([-(1 << 40), 7])))
        XCTAssertEqual(t["encoder.int8"], HostTensor(shape: [2], storage: .i32([-128, 127])))
        XCTAssertEqual(t["encoder.mask"], HostTensor(shape: [3], storage: .bool([true, false, true])))
    }
}
