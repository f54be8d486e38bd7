import DLCCore

/// Element conversion between `.npy` bytes and `HostTensor` storage.
extension Npy {
    static func decodeElements(_ bytes: ArraySlice<UInt8>, _ dt: NpyDType, count: Int, bigEndian: Bool, shape: [Int]) -> HostTensor {
        func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
            bytes.withUnsafeBytes { raw in
                (0..<count).map { i in
                    let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
                    return bigEndian ? T(bigEndian: v) : T(littleEndian: v)
                }
            }
        }
        switch dt {
        case .f4: return HostTensor(shape: shape, storage: .f32(load(UInt32.self).map { Float(bitPattern: $0) }))
        case .f8: return HostTensor(shape: shape, storage: .f64(load(UInt64.self).map { Double(bitPattern: $0) }))
        case .i4: return HostTensor(shape: shape, storage: .i32(load(Int32.self)))
        case .i8: return HostTensor(shape: shape, storage: .i64(load(Int64.self)))
        case .u1: return HostTensor(shape: shape, storage: .i32(bytes.map { Int32($0) }))
        case .b1: return HostTensor(shape: shape, storage: .bool(bytes.map { $0 != 0 }))
        }
    }

    static func encodeElements(_ t: HostTensor, as dt: NpyDType, into out: inout [UInt8]) throws {
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        func integers() -> [Int64]? {
            switch t.storage {
            case .i32(let a): a.map(Int64.init)
            case .i64(let a): a
            case .bool(let a): a.map { $0 ? 1 : 0 }
            default: nil
            }
        }
        switch dt {
        case .f4: for v in t.doubles { put(Float(v).bitPattern) }
        case .f8: for v in t.doubles { put(v.bitPattern) }
        case .i4, .i8, .u1, .b1:
            guard let ints = integers() else { throw DLCError("cannot write \(t) as '\(dt.descr)'") }
            let range: ClosedRange<Int64> = switch dt {
            case .i4: Int64(Int32.min)...Int64(Int32.max)
            case .u1: 0...255
            case .b1: 0...1
            default: Int64.min...Int64.max
            }
            if let (i, v) = ints.enumerated().first(where: { !range.contains($0.element) }) {
                throw DLCError("cannot write \(t) as '\(dt.descr)': element \(i) is \(v), outside \(range.lowerBound)...\(range.upperBound)")
            }
            switch dt {
            case .i4: for v in ints { put(Int32(v)) }
            case .i8: for v in ints { put(v) }
            default: out += ints.map { UInt8($0) }
            }
        }
    }

    /// Reorders a tensor whose storage is in Fortran (column-major) order into C order.
    static func fortranToC(_ t: HostTensor) -> HostTensor {
        let shape = t.shape, n = t.count, rank = shape.count
        var fstride = [Int](repeating: 1, count: rank)
        for d in 1..<rank { fstride[d] = fstride[d - 1] * shape[d - 1] }
        var perm = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: rank)
        var off = 0
        for i in 0..<n {
            perm[i] = off
            var d = rank - 1
            while d >= 0 {
                index[d] += 1; off += fstride[d]
                if index[d] < shape[d] { break }
                off -= fstride[d] * shape[d]; index[d] = 0; d -= 1
            }
        }
        func gather<T>(_ a: [T]) -> [T] { perm.map { a[$0] } }
        switch t.storage {
        case .f32(let a): return HostTensor(shape: shape, storage: .f32(gather(a)))
        case .f64(let a): return HostTensor(shape: shape, storage: .f64(gather(a)))
        case .i32(let a): return HostTensor(shape: shape, storage: .i32(gather(a)))
        case .i64(let a): return HostTensor(shape: shape, storage: .i64(gather(a)))
        case .bool(let a): return HostTensor(shape: shape, storage: .bool(gather(a)))
        }
    }
}
