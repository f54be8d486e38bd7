import DLCCore

/// The IDX format of MNIST (`train-images-idx3-ubyte`, optionally gzipped): a magic number
/// 0x0000 followed by a type byte and a rank byte, the big-endian u32 dimensions, then the
/// big-endian elements.
public enum IDX {
    /// Reads an IDX file (gzip-compressed or not) as a tensor: u8 and i8/i16/i32 → i32,
    /// f32 → f32, f64 → f64.
    public static func read(_ path: String) throws -> HostTensor { try readTyped(path).tensor }

    /// The tensor and the IDX type byte.
    static func readTyped(_ path: String) throws -> (tensor: HostTensor, type: UInt8) {
        try decodeTyped(try readFileBytes(path), source: path)
    }

    /// Decodes the bytes of an IDX file (gzip-compressed or not); errors name `source`.
    public static func decode(_ bytes: [UInt8], source: String) throws -> HostTensor { try decodeTyped(bytes, source: source).tensor }

    static func decodeTyped(_ bytes: [UInt8], source path: String) throws -> (tensor: HostTensor, type: UInt8) {
        var b = bytes
        if Zlib.isGzip(b) { b = try Zlib.gunzip(b, source: path) }
        guard b.count >= 4 else { throw DataError.file(path, "truncated IDX file: \(b.count) bytes, shorter than the 4-byte magic number") }
        guard b[0] == 0, b[1] == 0 else {
            throw DataError.file(path, "not an IDX file: the magic number must start with two zero bytes, found 0x\(hex(b[0]))\(hex(b[1]))")
        }
        let size: Int
        switch b[2] {
        case 0x08, 0x09: size = 1
        case 0x0B: size = 2
        case 0x0C, 0x0D: size = 4
        case 0x0E: size = 8
        default: throw DataError.file(path, "unsupported IDX element type 0x\(hex(b[2])) (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)")
        }
        let rank = Int(b[3])
        guard rank >= 1 else { throw DataError.file(path, "IDX file with no dimensions") }
        guard b.count >= 4 + 4 * rank else { throw DataError.file(path, "truncated IDX header: \(rank) dimensions need \(4 + 4 * rank) bytes, the file has \(b.count)") }
        let dims = (0..<rank).map { d in (0..<4).reduce(0) { $0 << 8 | Int(b[4 + 4 * d + $1]) } }
        var count = 1
        for d in dims {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw DataError.file(path, "IDX dimensions \(dims) are too large") }
            count = c
        }
        let start = 4 + 4 * rank, have = b.count - start, (need, o) = count.multipliedReportingOverflow(by: size)
        guard !o, need == have else {
            throw DataError.file(path, "IDX data size does not match the header: dimensions \(dims) need \(need) bytes, the file has \(have)")
        }
        func be(_ i: Int) -> UInt64 { (0..<size).reduce(UInt64(0)) { $0 << 8 | UInt64(b[start + i * size + $1]) } }
        let t: HostTensor
        switch b[2] {
        case 0x08: t = HostTensor(shape: dims, storage: .i32(b[start...].map { Int32($0) }))
        case 0x09: t = HostTensor(shape: dims, storage: .i32(b[start...].map { Int32(Int8(bitPattern: $0)) }))
        case 0x0B: t = HostTensor(shape: dims, storage: .i32((0..<count).map { Int32(Int16(bitPattern: UInt16(be($0)))) }))
        case 0x0C: t = HostTensor(shape: dims, storage: .i32((0..<count).map { Int32(bitPattern: UInt32(be($0))) }))
        case 0x0D: t = HostTensor(shape: dims, storage: .f32((0..<count).map { Float(bitPattern: UInt32(be($0))) }))
        default: t = HostTensor(shape: dims, storage: .f64((0..<count).map { Double(bitPattern: be($0)) }))
        }
        return (t, b[2])
    }

    /// Loads an MNIST-style pair: images [N, H, W] (u8 scaled to [0, 1] by /255; other
    /// types as they are) become x f32 [N, 1, H, W] (images of other ranks keep their shape);
    /// labels [N] become y i32. Counts must agree.
    public static func load(images: String, labels: String) throws -> Dataset {
        let (img, type) = try readTyped(images)
        let lab = try read(labels)
        guard lab.shape.count == 1, lab.dtype == .i32 else {
            throw DataError.file(labels, "IDX labels must be a 1-dimensional integer array, found \(lab)")
        }
        guard img.shape[0] == lab.shape[0] else {
            throw DLCError("images and labels differ in length: \(images) has \(img.shape[0]) images, \(labels) has \(lab.shape[0]) labels")
        }
        var x = img.converted(to: .f32)
        if type == 0x08 { x = HostTensor(shape: x.shape, f32: x.floats.map { $0 / 255 }) }
        if x.shape.count == 3 { x = HostTensor(shape: [x.shape[0], 1, x.shape[1], x.shape[2]], storage: x.storage) }
        let d = Dataset(unchecked: x, y: lab)
        try d.validate(source: images)
        if case .i32(let l) = lab.storage, let i = l.firstIndex(where: { $0 < 0 }) {
            throw DataError.at(labels, "label \(i)", "label \(l[i]) is negative")
        }
        return d
    }

    private static func hex(_ v: UInt8) -> String { (v < 16 ? "0" : "") + String(v, radix: 16) }
}
