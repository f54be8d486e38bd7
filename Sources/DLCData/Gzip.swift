import CDLCData
import DLCCore

/// zlib, for gzip files (the embedded digits, `.gz` IDX files) and deflated `.npz` members.
public enum Zlib {
    /// Whether bytes start with the gzip magic number.
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// Decompresses a gzip stream; errors name `source`.
    public static func gunzip(_ bytes: [UInt8], source: String) throws -> [UInt8] {
        try inflate(bytes, windowBits: 15 + 16, source: source, what: "gzip data")
    }

    /// Decompresses a raw deflate stream (a zip member).
    static func inflateRaw(_ bytes: ArraySlice<UInt8>, source: String) throws -> [UInt8] {
        try inflate(Array(bytes), windowBits: -15, source: source, what: "deflated data")
    }

    /// Compresses bytes into a zlib stream (RFC 1950), as PNG's image data needs.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var outLen = 0
        let rc = bytes.withUnsafeBufferPointer { dlc_deflate($0.baseAddress, $0.count, &out, &outLen) }
        guard rc == 0, let out else { throw DLCError("zlib could not compress \(bytes.count) bytes (error \(rc))") }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outLen))
    }

    /// zlib's CRC-32.
    public static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { dlc_crc32($0.baseAddress, $0.count) }
    }

    private static func inflate(_ bytes: [UInt8], windowBits: Int32, source: String, what: String) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var outLen = 0, consumed = 0
        var message: UnsafePointer<CChar>?
        let rc = bytes.withUnsafeBufferPointer {
            dlc_inflate($0.baseAddress, $0.count, windowBits, &out, &outLen, &consumed, &message)
        }
        guard rc == 0, let out else {
            let m = message.map { String(cString: $0) } ?? "zlib error \(rc)"
            throw DataError.file(source, "corrupt \(what): \(m)")
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outLen))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
