import DLCCore

/// A minimal reader and writer for the zip archives `.npz` files are: members stored or
/// deflated, zip64 sizes and offsets (numpy writes them), CRC-32 checked. No encryption,
/// no multi-disk archives.
enum Zip {
    struct Entry {
        var name: String
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    /// Little-endian reads that throw on running off the end.
    struct Reader {
        let bytes: [UInt8]
        let source: String
        func u16(_ at: Int) throws -> Int { try check(at, 2); return Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) throws -> Int { try check(at, 4); return (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) throws -> Int {
            try check(at, 8)
            let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
            guard v <= UInt64(Int.max) else { throw DataError.file(source, "corrupt zip archive: size or offset \(v) is too large") }
            return Int(v)
        }
        func check(_ at: Int, _ n: Int) throws {
            guard at >= 0, n >= 0, at <= bytes.count - n else {
                throw DataError.file(source, "corrupt zip archive: a record at offset \(at) runs past the end of the file (\(bytes.count) bytes)")
            }
        }
    }

    /// The members of an archive, in directory order.
    static func entries(_ r: Reader) throws -> [Entry] {
        let b = r.bytes
        guard b.count >= 22, let eocd = stride(from: b.count - 22, through: max(0, b.count - 22 - 65535), by: -1)
            .first(where: { b[$0] == 0x50 && b[$0 + 1] == 0x4b && b[$0 + 2] == 5 && b[$0 + 3] == 6 }) else {
            throw DataError.file(r.source, "not a zip archive (.npz): no end-of-central-directory record")
        }
        var count = try r.u16(eocd + 10), dirOffset = try r.u32(eocd + 16)
        if count == 0xffff || dirOffset == 0xffff_ffff, eocd >= 20, try r.u32(eocd - 20) == 0x0706_4b50 {
            let z64 = try r.u64(eocd - 12)
            guard try r.u32(z64) == 0x0606_4b50 else { throw DataError.file(r.source, "corrupt zip archive: bad zip64 end record") }
            count = try r.u64(z64 + 32); dirOffset = try r.u64(z64 + 48)
        }
        var out: [Entry] = []
        var p = dirOffset
        for _ in 0..<count {
            guard try r.u32(p) == 0x0201_4b50 else { throw DataError.file(r.source, "corrupt zip archive: bad central directory entry at offset \(p)") }
            let method = UInt16(try r.u16(p + 10)), crc = UInt32(try r.u32(p + 16))
            var csize = try r.u32(p + 20), size = try r.u32(p + 24)
            let nlen = try r.u16(p + 28), elen = try r.u16(p + 30), clen = try r.u16(p + 32)
            var offset = try r.u32(p + 42)
            try r.check(p + 46, nlen + elen)
            let name = String(decoding: b[(p + 46)..<(p + 46 + nlen)], as: UTF8.self)
            var e = p + 46 + nlen
            let eEnd = e + elen
            while e + 4 <= eEnd {
                let id = try r.u16(e), len = try r.u16(e + 2)
                if id == 1 {
                    var q = e + 4
                    if size == 0xffff_ffff { size = try r.u64(q); q += 8 }
                    if csize == 0xffff_ffff { csize = try r.u64(q); q += 8 }
                    if offset == 0xffff_ffff { offset = try r.u64(q); q += 8 }
                }
                e += 4 + len
            }
            out.append(Entry(name: name, method: method, crc: crc, compressedSize: csize, size: size, localHeaderOffset: offset))
            p += 46 + nlen + elen + clen
        }
        return out
    }

    /// The uncompressed bytes of a member, checked against its size and CRC.
    static func contents(_ e: Entry, _ r: Reader) throws -> [UInt8] {
        let src = "\(r.source): member '\(e.name)'"
        guard try r.u32(e.localHeaderOffset) == 0x0403_4b50 else {
            throw DataError.file(src, "corrupt zip archive: no local header at offset \(e.localHeaderOffset)")
        }
        let start = e.localHeaderOffset + 30 + (try r.u16(e.localHeaderOffset + 26)) + (try r.u16(e.localHeaderOffset + 28))
        guard start <= r.bytes.count - e.compressedSize else {
            throw DataError.file(src, "truncated zip archive: the member's \(e.compressedSize) bytes run past the end of the file")
        }
        let raw = r.bytes[start..<(start + e.compressedSize)]
        let data: [UInt8]
        switch e.method {
        case 0: data = Array(raw)
        case 8: data = try Zlib.inflateRaw(raw, source: src)
        default: throw DataError.file(src, "unsupported zip compression method \(e.method) (stored and deflated are supported)")
        }
        guard data.count == e.size else { throw DataError.file(src, "corrupt zip archive: \(data.count) bytes, the directory says \(e.size)") }
        guard Zlib.crc32(data[...]) == e.crc else { throw DataError.file(src, "corrupt zip archive: CRC-32 mismatch") }
        return data
    }

    /// A zip archive of stored (uncompressed) members, without zip64 (members below 4 GiB).
    static func archive(_ members: [(name: String, data: [UInt8])]) throws -> [UInt8] {
        var out: [UInt8] = [], dir: [UInt8] = []
        func u16(_ v: Int, _ o: inout [UInt8]) { o += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: Int, _ o: inout [UInt8]) { for i in 0..<4 { o.append(UInt8((v >> (8 * i)) & 0xff)) } }
        for m in members {
            guard m.data.count < 0xffff_ffff, out.count < 0xffff_ffff else { throw DLCError("npz: member '\(m.name)' is too large to write") }
            let name = Array(m.name.utf8), crc = Int(Zlib.crc32(m.data[...]))
            let offset = out.count
            // version 20, flags 0 (bit 11 for UTF-8 names), method 0, time/date 1980-01-01
            var common: [UInt8] = []
            u16(20, &common); u16(0x800, &common); u16(0, &common); u16(0, &common); u16(0x21, &common)
            u32(crc, &common); u32(m.data.count, &common); u32(m.data.count, &common); u16(name.count, &common); u16(0, &common)
            u32(0x0403_4b50, &out); out += common + name + m.data
            u32(0x0201_4b50, &dir); u16(20, &dir); dir += common
            u16(0, &dir); u16(0, &dir); u16(0, &dir); u32(0, &dir); u32(offset, &dir); dir += name
        }
        let dirOffset = out.count
        out += dir
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(members.count, &out); u16(members.count, &out)
        u32(dir.count, &out); u32(dirOffset, &out); u16(0, &out)
        return out
    }
}
