import DLCCore

/// An array read from a `.npy` file: the tensor and the element type it had on disk.
public struct NpyArray: Equatable, Sendable {
    /// The values in C order. f4 → f32, f8 → f64, i4 → i32, i8 → i64, u1 → i32, b1 → bool.
    public var tensor: HostTensor
    /// The element type stored in the file.
    public var dtype: NpyDType
}

/// NumPy's `.npy` format (versions 1.0, 2.0 and 3.0 headers). Reads little- and big-endian
/// f4/f8/i4/i8/u1/b1 in C or Fortran order (both converted to C order, native byte order);
/// writes little-endian C-order files that `numpy.load` reads. Every other dtype, and every
/// malformed file, is a `DLCError` naming the file.
public enum Npy {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads a `.npy` file.
    public static func read(_ path: String) throws -> NpyArray {
        try decode(try readFileBytes(path), source: path)
    }

    /// Decodes the bytes of a `.npy` file; errors name `source`.
    public static func decode(_ bytes: [UInt8], source: String) throws -> NpyArray {
        guard bytes.count >= 10 else {
            if bytes.count >= 1 && !magic.starts(with: bytes.prefix(6)) { throw badMagic(source) }
            throw DataError.file(source, "truncated .npy file: \(bytes.count) bytes, shorter than the 10-byte preamble")
        }
        guard Array(bytes[0..<6]) == magic else { throw badMagic(source) }
        let major = bytes[6], minor = bytes[7]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1:
            headerStart = 10; headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw DataError.file(source, "truncated .npy file: \(bytes.count) bytes, shorter than the 12-byte preamble") }
            headerStart = 12; headerLength = (8..<12).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 8)) }
        default:
            throw DataError.file(source, "unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        let available = bytes.count - headerStart
        guard headerLength <= available else {
            throw DataError.file(source, "truncated .npy header: it declares \(headerLength) bytes but only \(available) follow the preamble")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        guard let text = String(validating: headerBytes, as: major == 3 ? UTF8.self : UTF8.self), major == 3 || headerBytes.allSatisfy({ $0 < 0x80 }) else {
            throw DataError.file(source, "malformed .npy header: not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let header: NpyHeader
        do { header = try NpyHeader.parse(text) } catch let e as NpyHeader.HeaderError {
            throw DataError.file(source, "malformed .npy header: \(e.cause)")
        } catch let e as NpyHeader.UnsupportedDType {
            throw DataError.file(source, "unsupported dtype '\(e.descr)' (supported: \(NpyDType.allCases.map(\.rawValue).joined(separator: ", ")), little- or big-endian)")
        }
        var count = 1
        for d in header.shape {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw DataError.file(source, "malformed .npy header: shape \(NpyHeader.shapeText(header.shape)) is too large") }
            count = c
        }
        let (need, o) = count.multipliedReportingOverflow(by: header.dtype.itemSize)
        let dataStart = headerStart + headerLength, have = bytes.count - dataStart
        let what = "shape \(NpyHeader.shapeText(header.shape)) of '\(header.descr)' needs \(o ? "more than \(Int.max)" : String(need)) bytes"
        guard !o, need <= have else { throw DataError.file(source, "truncated .npy data: \(what), but only \(have) follow the header") }
        guard need == have else {
            throw DataError.file(source, "the .npy header does not match the data size: \(what), but \(have) follow the header")
        }
        var tensor = decodeElements(bytes[dataStart...], header.dtype, count: count, bigEndian: header.bigEndian, shape: header.shape)
        if header.fortranOrder && header.shape.count > 1 { tensor = fortranToC(tensor) }
        return NpyArray(tensor: tensor, dtype: header.dtype)
    }

    private static func badMagic(_ source: String) -> DLCError {
        DataError.file(source, "not a .npy file: it does not start with the magic bytes \\x93NUMPY")
    }

    /// Encodes a tensor as a `.npy` file, as `dtype` (default: its natural one: f32 → f4,
    /// f64 → f8, i32 → i4, i64 → i8, bool → b1). Integers written as u1 must be 0...255;
    /// integers and booleans may be written as floats, floats as floats only.
    /// `version` is 1 or 2 (nil: 1, or 2 when the header needs it).
    public static func encode(_ t: HostTensor, as dtype: NpyDType? = nil, version: Int? = nil) throws -> [UInt8] {
        let dt = dtype ?? NpyDType.natural(for: t.dtype)
        let isFloat = t.dtype == .f32 || t.dtype == .f64
        if isFloat && dt != .f4 && dt != .f8 { throw DLCError("cannot write \(t) as '\(dt.descr)': floats need f4 or f8") }
        var text = NpyHeader.text(descr: dt.descr, shape: t.shape)
        let v = version ?? (text.utf8.count + 12 < 65536 ? 1 : 2)
        guard v == 1 || v == 2 else { throw DLCError("unsupported .npy format version \(v) for writing (1 or 2)") }
        let pre = v == 1 ? 10 : 12
        let padding = (64 - (pre + text.utf8.count + 1) % 64) % 64
        text += String(repeating: " ", count: padding) + "\n"
        let hlen = text.utf8.count
        guard v == 2 || hlen < 65536 else { throw DLCError("the .npy header is too long for format version 1.0") }
        var out = magic + [UInt8(v), 0]
        out += v == 1 ? [UInt8(hlen & 0xff), UInt8(hlen >> 8)] : (0..<4).map { UInt8((hlen >> (8 * $0)) & 0xff) }
        out += Array(text.utf8)
        out.reserveCapacity(out.count + t.count * dt.itemSize)
        try encodeElements(t, as: dt, into: &out)
        return out
    }

    /// Writes a tensor to a `.npy` file (see `encode`).
    public static func write(_ t: HostTensor, to path: String, as dtype: NpyDType? = nil, version: Int? = nil) throws {
        try writeFileBytes(try encode(t, as: dtype, version: version), to: path)
    }
}
