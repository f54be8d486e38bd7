import DLCCore
import DLCData

/// An 8-bit image, grey or RGB, encoded as PNG (signature, IHDR, one zlib-compressed IDAT
/// with filter 0 on every row, IEND).
public struct PNGImage {
    public let width: Int
    public let height: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// Row-major pixels, `channels` bytes each.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3), "PNGImage: bad size or channels")
        self.width = width
        self.height = height
        self.channels = channels
        pixels = [UInt8](repeating: fill, count: width * height * channels)
    }

    /// The file's bytes.
    public func encoded() throws -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * channels + 1))
        for y in 0..<height {
            raw.append(0)  // filter: none
            raw += pixels[(y * width * channels)..<((y + 1) * width * channels)]
        }
        var header: [UInt8] = []
        Self.append32(&header, UInt32(width))
        Self.append32(&header, UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // bit depth, colour type, compression, filter, interlace
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        Self.chunk(&out, "IHDR", header)
        Self.chunk(&out, "IDAT", try Zlib.compress(raw))
        Self.chunk(&out, "IEND", [])
        return out
    }

    static func append32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func chunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        append32(&out, UInt32(data.count))
        let typed = Array(type.utf8) + data
        out += typed
        append32(&out, Zlib.crc32(typed[...]))
    }
}
