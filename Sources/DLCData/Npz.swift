import DLCCore

/// NumPy's `.npz` format: a zip archive of `.npy` members (`numpy.savez` stores them,
/// `numpy.savez_compressed` deflates them). Names are given without `.npy`.
public enum Npz {
    /// Every array in an `.npz` file, by name.
    public static func read(_ path: String) throws -> [String: NpyArray] {
        try decode(try readFileBytes(path), source: path)
    }

    /// Every array in the bytes of an `.npz` file; errors name `source`.
    public static func decode(_ bytes: [UInt8], source path: String) throws -> [String: NpyArray] {
        let r = Zip.Reader(bytes: bytes, source: path)
        var out: [String: NpyArray] = [:]
        for e in try Zip.entries(r) where !e.name.hasSuffix("/") {
            let name = e.name.hasSuffix(".npy") ? String(e.name.dropLast(4)) : e.name
            out[name] = try Npy.decode(try Zip.contents(e, r), source: "\(path): member '\(e.name)'")
        }
        return out
    }

    /// One array of an `.npz` file; a missing name is an error listing the names present.
    public static func read(_ path: String, array name: String) throws -> NpyArray {
        let all = try read(path)
        guard let a = all[name] else {
            throw DataError.file(path, "no array '\(name)' (the file has \(all.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")))")
        }
        return a
    }

    /// Writes arrays to an uncompressed `.npz` file (as `numpy.savez`), each in its natural
    /// `.npy` dtype, members sorted by name.
    public static func write(_ arrays: [String: HostTensor], to path: String) throws {
        let members = try arrays.keys.sorted().map { (name: $0 + ".npy", data: try Npy.encode(arrays[$0]!)) }
        try writeFileBytes(try Zip.archive(members), to: path)
    }
}
