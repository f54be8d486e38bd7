import DLCCore
@testable import DLCData
import Foundation
import XCTest

/// Every prefix and many bit flips of valid files: a decoder returns or throws a DLCError
/// naming the file, and never traps. (In memory: writing a thousand files is slow.)
final class CorruptionTests: DataTestCase {
    func check(_ name: String, _ bytes: [UInt8], _ load: ([UInt8], String) throws -> Void) throws {
        var rng = SplitMix64(seed: 5)
        var variants = (0..<bytes.count).map { Array(bytes.prefix($0)) }
        for _ in 0..<300 {
            var b = bytes
            b[rng.below(b.count)] ^= UInt8(1 << rng.below(8))
            variants.append(b)
        }
        for (i, v) in variants.enumerated() {
            let p = "\(name)-\(i)"
            do { try load(v, p) } catch let e as DLCError {
                XCTAssertTrue(e.message.hasPrefix(p + ":"), "\(e.message)")
            }
        }
    }

    func testNpyNpzIdxCsvGzip() throws {
        try check("npy", try Npy.encode(HostTensor(shape: [3, 2], f32: [1, 2, 3, 4, 5, 6]))) { _ = try Npy.decode($0, source: $1) }
        let npz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("numpy_compressed.npz"))))
        try check("npz", npz) { _ = try Npz.decode($0, source: $1) }
        try check("idx", [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]) { _ = try IDX.decode($0, source: $1) }
        try check("csv", Array("a,b,label\n1,2,0\n3.5,-4,1\n\"5\",6e2,2\n".utf8)) { _ = try CSV.parse($0, source: $1) }
        try check("gz", Array(Digits.embeddedGzip.prefix(200))) { _ = try IDX.decode($0, source: $1) }
    }
}
