// Little-endian binary encoding for .dlp files: a writer that appends, and a reader that checks
// every length against the bytes that remain, so a truncated or corrupt file yields a
// `DLCError` naming what was being read and where — never a crash or a huge allocation.
import DLCCore

/// Appends little-endian values.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    mutating func string(_ s: String) {
        let b = Array(s.utf8)
        u32(UInt32(b.count))
        bytes += b
    }
    mutating func raw(_ b: [UInt8]) {
        u64(UInt64(b.count))
        bytes += b
    }
}

/// Reads little-endian values with bounds checks.
struct BinaryReader {
    let bytes: [UInt8]
    var position: Int
    let context: String

    init(_ bytes: [UInt8], position: Int = 0, context: String) {
        self.bytes = bytes
        self.position = position
        self.context = context
    }

    var remaining: Int { bytes.count - position }

    func fail(_ what: String) -> DLCError { DLCError("\(context): \(what) (at byte \(position))") }

    mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else {
            throw fail("the file is truncated: \(what) needs \(n) bytes, only \(remaining) remain")
        }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func u8(_ what: String) throws -> UInt8 { try take(1, what).first! }
    mutating func u32(_ what: String) throws -> UInt32 {
        try take(4, what).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
    mutating func u64(_ what: String) throws -> UInt64 {
        try take(8, what).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
    mutating func int(_ what: String) throws -> Int { Int(Int64(bitPattern: try u64(what))) }
    /// A count that must be between 0 and `limit` (guards allocations against corrupt sizes).
    mutating func count(_ what: String, limit: Int) throws -> Int {
        let n = try int(what)
        guard n >= 0, n <= limit else { throw fail("corrupt file: \(what) is \(n), expected 0…\(limit)") }
        return n
    }
    mutating func f64(_ what: String) throws -> Double { Double(bitPattern: try u64(what)) }
    mutating func bool(_ what: String) throws -> Bool {
        let v = try u8(what)
        guard v <= 1 else { throw fail("corrupt file: \(what) is \(v), expected 0 or 1") }
        return v == 1
    }
    mutating func string(_ what: String) throws -> String {
        let n = Int(try u32(what))
        guard let s = String(validating: try take(n, what), as: UTF8.self) else { throw fail("corrupt file: \(what) is not UTF-8") }
        return s
    }
    mutating func raw(_ what: String) throws -> ArraySlice<UInt8> {
        let n = try u64(what)
        guard n <= UInt64(remaining) else { throw fail("the file is truncated: \(what) needs \(n) bytes, only \(remaining) remain") }
        return try take(Int(n), what)
    }
}

/// FNV-1a, 64 bits: the payload checksum of .dlp files.
func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
