import DLCCore

/// How data errors are worded: `<file>: <where>: <cause>`, one line, so a training run can
/// print it as is. Every loader throws `DLCError` built here, never traps on bad input.
enum DataError {
    /// An error about a whole file (`path: cause`).
    static func file(_ path: String, _ cause: String) -> DLCError {
        DLCError("\(path): \(cause)")
    }

    /// An error at a place in a file (`path: row 3, column 'b': cause`).
    static func at(_ path: String, _ place: String, _ cause: String) -> DLCError {
        DLCError("\(path): \(place): \(cause)")
    }
}

/// Reads a whole file, turning a missing or unreadable file into a `DLCError` naming it.
func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        let cause = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
        throw DataError.file(path, "cannot open: \(cause)")
    }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            if ferror(f) != 0 { throw DataError.file(path, "cannot read: \(String(cString: strerror(errno)))") }
            break
        }
    }
    return bytes
}

/// Writes bytes to a file, replacing it.
func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
    guard let f = fopen(path, "wb") else {
        throw DataError.file(path, "cannot create: \(String(cString: strerror(errno)))")
    }
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    let closed = fclose(f)
    if n != bytes.count || closed != 0 { throw DataError.file(path, "cannot write: \(String(cString: strerror(errno)))") }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
