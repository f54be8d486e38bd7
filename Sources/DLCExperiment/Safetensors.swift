import DLCCore
import Foundation

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length, a JSON header mapping each tensor's name to its `dtype`,
/// `shape` and `data_offsets` (begin and end in the data area) — plus an optional
/// `__metadata__` object of strings — padded with spaces to a multiple of 8 bytes, then the
/// raw little-endian data of every tensor, in the order of the sorted names.
public enum Safetensors {
    static func code(_ d: DType) -> String {
        switch d {
        case .f32: "F32"
        case .f64: "F64"
        case .i32: "I32"
        case .i64: "I64"
        case .bool: "BOOL"
        }
    }

    static func dtype(_ code: String) -> DType? {
        ["F32": .f32, "F64": .f64, "I32": .i32, "I64": .i64, "BOOL": .bool][code]
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

    /// Decodes a file's bytes; every malformation is a `DLCError` naming `source`.
    public static func decode(_ bytes: [UInt8], source: String) throws -> (tensors: [String: HostTensor], metadata: [String: String]) {
        func bad(_ why: String) -> DLCError { DLCError("\(source): not a valid safetensors file: \(why)") }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes, shorter than the 8-byte header length") }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard length <= UInt64(bytes.count - 8) else { throw bad("the header declares \(length) bytes but only \(bytes.count - 8) follow") }
        let start = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<start])) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        var tensors: [String: HostTensor] = [:], metadata: [String: String] = [:]
        let dataCount = bytes.count - start
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ is not an object of strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let code = entry["dtype"] as? String, let dtype = dtype(code),
                  let shape = (entry["shape"] as? [NSNumber])?.map(\.intValue),
                  let offsets = (entry["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2 else {
                throw bad("bad entry for tensor '\(name)' (dtype F32, F64, I32, I64 or BOOL, shape, data_offsets)")
            }
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount,
                  offsets[1] - offsets[0] == count * dtype.byteSize else {
                throw bad("tensor '\(name)': offsets \(offsets) do not fit its shape \(shape) or the \(dataCount) bytes of data")
            }
            tensors[name] = readRaw(bytes, from: start + offsets[0], dtype: dtype, shape: shape)
        }
        return (tensors, metadata)
    }

    /// Reads a file.
    public static func read(_ path: String) throws -> (tensors: [String: HostTensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw DLCError("cannot read '\(path)'") }
        return try decode([UInt8](data), source: path)
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

    static func readRaw(_ bytes: [UInt8], from start: Int, dtype: DType, shape: [Int]) -> HostTensor {
        let n = shape.reduce(1, *)
        func array<T>(_ zero: T) -> [T] {
            var a = [T](repeating: zero, count: n)
            a.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    if dst.count > 0 { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + dst.count)])) }
                }
            }
            return a
        }
        switch dtype {
        case .f32: return HostTensor(shape: shape, storage: .f32(array(Float(0))))
        case .f64: return HostTensor(shape: shape, storage: .f64(array(Double(0))))
        case .i32: return HostTensor(shape: shape, storage: .i32(array(Int32(0))))
        case .i64: return HostTensor(shape: shape, storage: .i64(array(Int64(0))))
        case .bool: return HostTensor(shape: shape, storage: .bool((0..<n).map { bytes[start + $0] != 0 }))
        }
    }
}
