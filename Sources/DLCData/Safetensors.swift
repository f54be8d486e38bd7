import DLCCore
import Foundation

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length, a JSON header mapping each tensor's name to its `dtype`,
/// `shape` and `data_offsets` (begin and end in the data area) — plus an optional
/// `__metadata__` object of strings — padded with spaces to a multiple of 8 bytes, then the
/// raw little-endian data of every tensor, in the order of the sorted names.
///
/// Files are untrusted input: the header length, the JSON, every dtype, shape (element
/// counts and byte sizes checked for overflow) and data range are checked before a byte of
/// data is read, and every problem is a `DLCError` naming the file and the tensor.
public enum Safetensors {
    /// The largest header accepted (the Hugging Face library's own limit).
    public static let maxHeaderBytes = 100_000_000

    /// The element types a file may hold: dlc's own, plus F16 and BF16 (converted to f32
    /// on reading) and the small integer types (converted to i32).
    static let readable: [String: (bytes: Int, dtype: DType)] = [
        "F32": (4, .f32), "F64": (8, .f64), "I32": (4, .i32), "I64": (8, .i64), "BOOL": (1, .bool),
        "F16": (2, .f32), "BF16": (2, .f32), "I8": (1, .i32), "U8": (1, .i32), "I16": (2, .i32), "U16": (2, .i32),
    ]

    static func code(_ d: DType) -> String {
        switch d {
        case .f32: "F32"
        case .f64: "F64"
        case .i32: "I32"
        case .i64: "I64"
        case .bool: "BOOL"
        }
    }

    /// The bytes of a file holding `tensors` (names sorted) and `metadata`.
    public static func encode(_ tensors: [String: HostTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var data: [UInt8] = []
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let begin = data.count
            appendRaw(t, to: &data)
            header[name] = ["dtype": code(t.dtype), "shape": t.shape, "data_offsets": [begin, data.count]] as [String: Any]
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + data.count)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out += $0 }
        out += json
        out += data
        return out
    }

    /// Writes a file atomically (a reader never sees a partial one).
    public static func write(_ tensors: [String: HostTensor], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
    }

    /// Decodes a file's bytes; every malformation is a `DLCError` naming `source`. F16 and
    /// BF16 tensors become f32, I8/U8/I16/U16 become i32.
    public static func decode(_ bytes: [UInt8], source: String) throws -> (tensors: [String: HostTensor], metadata: [String: String]) {
        func bad(_ why: String) -> DLCError { DLCError("\(source): not a valid safetensors file: \(why)") }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes, shorter than the 8-byte header length") }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard length <= UInt64(maxHeaderBytes) else { throw bad("the header declares \(length) bytes, more than the limit of \(maxHeaderBytes)") }
        guard length <= UInt64(bytes.count - 8) else { throw bad("the header declares \(length) bytes but only \(bytes.count - 8) follow") }
        let start = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<start])) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        var tensors: [String: HostTensor] = [:], metadata: [String: String] = [:]
        let dataCount = bytes.count - start
        for name in header.keys.sorted() {
            let value = header[name]!
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ is not an object of strings") }
                metadata = m
                continue
            }
            let entry = try Entry(name: name, value, bad: bad)
            let (count, size) = try entry.sizes(bad: bad)
            guard entry.begin <= entry.end, entry.end <= dataCount, entry.end - entry.begin == size else {
                throw bad("tensor '\(name)': data_offsets [\(entry.begin), \(entry.end)] do not fit its \(entry.code) shape \(entry.shape) (\(size) bytes) within the \(dataCount) bytes of data")
            }
            tensors[name] = readRaw(bytes, from: start + entry.begin, code: entry.code, count: count, shape: entry.shape)
        }
        return (tensors, metadata)
    }

    /// One tensor's header entry, its numbers checked to be non-negative integers.
    struct Entry {
        let code: String
        let shape: [Int]
        let begin: Int
        let end: Int

        init(name: String, _ value: Any, bad: (String) -> DLCError) throws {
            guard let entry = value as? [String: Any] else { throw bad("the entry of tensor '\(name)' is not an object") }
            guard let code = entry["dtype"] as? String else { throw bad("tensor '\(name)' has no string 'dtype'") }
            guard readable[code] != nil else {
                throw bad("tensor '\(name)' has dtype '\(code)'; readable are \(readable.keys.sorted().joined(separator: ", "))")
            }
            guard let shape = Self.integers(entry["shape"]) else {
                throw bad("tensor '\(name)': 'shape' is not a list of non-negative integers")
            }
            guard let offsets = Self.integers(entry["data_offsets"]), offsets.count == 2 else {
                throw bad("tensor '\(name)': 'data_offsets' is not a pair of non-negative integers")
            }
            self.code = code
            self.shape = shape
            begin = offsets[0]
            end = offsets[1]
        }

        /// The element count and byte size, or an error when they overflow.
        func sizes(bad: (String) -> DLCError) throws -> (count: Int, bytes: Int) {
            var count = 1
            for d in shape {
                let (c, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw bad("the shape \(shape) is too large") }
                count = c
            }
            let (size, overflow) = count.multipliedReportingOverflow(by: readable[code]!.bytes)
            guard !overflow else { throw bad("the shape \(shape) is too large") }
            return (count, size)
        }

        /// A JSON list of integers in 0...2^53 (exact in the JSON number's double), or nil.
        static func integers(_ v: Any?) -> [Int]? {
            guard let list = v as? [Any] else { return nil }
            var out: [Int] = []
            for item in list {
                guard let n = item as? NSNumber else { return nil }
                let d = n.doubleValue
                guard d >= 0, d <= 9_007_199_254_740_992, d == d.rounded(.down) else { return nil }
                out.append(Int(d))
            }
            return out
        }
    }

    /// Reads a file.
    public static func read(_ path: String) throws -> (tensors: [String: HostTensor], metadata: [String: String]) {
        try decode(try readFileBytes(path), source: path)
    }

    // The hosts dlc runs on are little-endian, so the arrays' bytes are the file's bytes.
    static func appendRaw(_ t: HostTensor, to out: inout [UInt8]) {
        switch t.storage {
        case .f32(let a): a.withUnsafeBytes { out += $0 }
        case .f64(let a): a.withUnsafeBytes { out += $0 }
        case .i32(let a): a.withUnsafeBytes { out += $0 }
        case .i64(let a): a.withUnsafeBytes { out += $0 }
        case .bool(let a): out += a.map { $0 ? 1 : 0 }
        }
    }

    /// The tensor at `start` (its range checked by the caller).
    static func readRaw(_ bytes: [UInt8], from start: Int, code: String, count n: Int, shape: [Int]) -> HostTensor {
        func array<T>(_ zero: T) -> [T] {
            var a = [T](repeating: zero, count: n)
            a.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    if dst.count > 0 { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + dst.count)])) }
                }
            }
            return a
        }
        func halves() -> [UInt16] { (0..<n).map { UInt16(bytes[start + 2 * $0]) | UInt16(bytes[start + 2 * $0 + 1]) << 8 } }
        switch code {
        case "F32": return HostTensor(shape: shape, storage: .f32(array(Float(0))))
        case "F64": return HostTensor(shape: shape, storage: .f64(array(Double(0))))
        case "I32": return HostTensor(shape: shape, storage: .i32(array(Int32(0))))
        case "I64": return HostTensor(shape: shape, storage: .i64(array(Int64(0))))
        case "F16": return HostTensor(shape: shape, storage: .f32(halves().map(HalfFloat.float(fromHalf:))))
        case "BF16": return HostTensor(shape: shape, storage: .f32(halves().map { Float(bitPattern: UInt32($0) << 16) }))
        case "I8": return HostTensor(shape: shape, storage: .i32((0..<n).map { Int32(Int8(bitPattern: bytes[start + $0])) }))
        case "U8": return HostTensor(shape: shape, storage: .i32((0..<n).map { Int32(bytes[start + $0]) }))
        case "I16": return HostTensor(shape: shape, storage: .i32(halves().map { Int32(Int16(bitPattern: $0)) }))
        case "U16": return HostTensor(shape: shape, storage: .i32(halves().map { Int32($0) }))
        default: return HostTensor(shape: shape, storage: .bool((0..<n).map { bytes[start + $0] != 0 }))
        }
    }
}

/// IEEE 754 half precision (binary16) to single, without relying on `Float16` (unavailable
/// on some hosts).
public enum HalfFloat {
    /// The f32 value of a half-precision bit pattern (exact: every half is a float).
    public static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        switch exponent {
        case 0:  // zero or subnormal: mantissa · 2^-24
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:  // infinity or NaN
            return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
        }
    }
}
