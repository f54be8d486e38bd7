import DLCCore
@testable import DLCData
import Foundation
import XCTest

/// Every prefix and many bit flips of valid files: a loader returns or throws a DLCError
/// naming the file, and never traps.
final class CorruptionTests: DataTestCase {
    func check(_ name: String, _ bytes: [UInt8], _ load: (String) throws -> Void) throws {
        var rng = SplitMix64(seed: 5)
        var variants = (0..<bytes.count).map { Array(bytes.prefix($0)) }
        for _ in 0..<300 {
            var b = bytes
            b[rng.below(b.count)] ^= UInt8(1 << rng.below(8))
            variants.append(b)
        }
        for (i, v) in variants.enumerated() {
            let p = try write("\(name)-\(i)", v)
            do { try load(p) } catch let e as DLCError {
                XCTAssertTrue(e.message.contains(p) || e.message.contains("differ"), "\(e.message)")
            }
        }
    }

    func testNpyNpzIdxCsvGzip() throws {
        try check("npy", try Npy.encode(HostTensor(shape: [3, 2], f32: [1, 2, 3, 4, 5, 6]))) { _ = try Npy.read($0) }
        let npz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("numpy_compressed.npz"))))
        try check("npz", npz) { _ = try ArrayData.loadNpz($0) }
        try check("idx", [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]) { _ = try IDX.read($0) }
        try check("csv", Array("a,b,label\n1,2,0\n3.5,-4,1\n\"5\",6e2,2\n".utf8)) { _ = try CSV.load($0) }
        try check("gz", Array(Digits.embeddedGzip.prefix(200))) { _ = try IDX.read($0) }
    }
}
