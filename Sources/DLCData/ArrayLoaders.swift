import DLCCore

/// Data sets from arrays on disk: a pair of `.npy` files, or two arrays of an `.npz` file.
public enum ArrayData {
    /// Loads x and y from two `.npy` files (see `dataset(x:y:)` for the conversions).
    public static func loadNpy(x xPath: String, y yPath: String) throws -> Dataset {
        try dataset(x: Npy.read(xPath), y: Npy.read(yPath), xSource: xPath, ySource: yPath)
    }

    /// Loads arrays `x` and `y` (names without `.npy`) of an `.npz` file.
    public static func loadNpz(_ path: String, x: String = "x", y: String = "y") throws -> Dataset {
        let all = try Npz.read(path)
        func get(_ name: String) throws -> NpyArray {
            guard let a = all[name] else {
                throw DataError.file(path, "no array '\(name)' (the file has \(all.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")))")
            }
            return a
        }
        return try dataset(x: get(x), y: get(y), xSource: "\(path): array '\(x)'", ySource: "\(path): array '\(y)'")
    }

    /// A data set from two arrays: x of any dtype becomes f32 (and must be finite); y of an
    /// integer or boolean dtype becomes i32 class labels (shape [N] or [N, 1], values
    /// 0...Int32.max), y of a float dtype stays as f32 targets. Both must have the same
    /// number of examples (first dimension).
    public static func dataset(x: NpyArray, y: NpyArray, xSource: String, ySource: String) throws -> Dataset {
        guard let nx = x.tensor.shape.first else { throw DataError.file(xSource, "x must have an example dimension, but is a scalar") }
        guard let ny = y.tensor.shape.first else { throw DataError.file(ySource, "y must have an example dimension, but is a scalar") }
        guard nx == ny else {
            throw DLCError("x and y differ in length: \(xSource) has \(nx) examples (shape \(x.tensor.shape)), \(ySource) has \(ny) (shape \(y.tensor.shape))")
        }
        let xs = x.tensor.converted(to: .f32)
        let ys: HostTensor
        switch y.tensor.dtype {
        case .f32, .f64:
            ys = y.tensor.converted(to: .f32)
        case .i32, .i64, .bool:
            let s = y.tensor.shape
            guard s.count == 1 || (s.count == 2 && s[1] == 1) else {
                throw DataError.file(ySource, "integer labels must have shape [N] or [N, 1], not \(s)")
            }
            if case .i64(let a) = y.tensor.storage, let i = a.firstIndex(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
                throw DataError.at(ySource, "example \(i)", "label \(a[i]) is out of range")
            }
            ys = HostTensor(shape: [ny], storage: y.tensor.converted(to: .i32).storage)
        }
        let d = Dataset(unchecked: xs, y: ys)
        try Dataset(unchecked: xs, y: HostTensor(shape: [ny], storage: .i32([Int32](repeating: 0, count: ny)))).validate(source: xSource)
        if ys.dtype == .f32 { try Dataset(unchecked: ys, y: ys).validate(source: ySource) }
        if case .i32(let labels) = ys.storage, let i = labels.firstIndex(where: { $0 < 0 }) {
            throw DataError.at(ySource, "example \(i)", "label \(labels[i]) is negative")
        }
        return d
    }
}
