// Copying HostTensors to and from raw buffers (bool as one byte 0/1): how the CPU back end,
// plan files and plugin kernels exchange tensors.

extension HostTensor {
    /// Writes the elements to `p` (which holds at least `count` elements of `dtype`).
    public func write(to p: UnsafeMutableRawPointer) {
        switch storage {
        case .f32(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
        case .f64(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
        case .i32(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
        case .i64(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
        case .bool(let a):
            let q = p.assumingMemoryBound(to: UInt8.self)
            for (i, v) in a.enumerated() { q[i] = v ? 1 : 0 }
        }
    }

    /// Reads `shape` elements of `dtype` from `p`.
    public static func read(_ dtype: DType, shape: [Int], from p: UnsafeRawPointer) -> HostTensor {
        let n = shape.reduce(1, *)
        func array<T>(_: T.Type) -> [T] {
            Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: T.self), count: n))
        }
        switch dtype {
        case .f32: return HostTensor(shape: shape, storage: .f32(array(Float.self)))
        case .f64: return HostTensor(shape: shape, storage: .f64(array(Double.self)))
        case .i32: return HostTensor(shape: shape, storage: .i32(array(Int32.self)))
        case .i64: return HostTensor(shape: shape, storage: .i64(array(Int64.self)))
        case .bool: return HostTensor(shape: shape, storage: .bool(array(UInt8.self).map { $0 != 0 }))
        }
    }
}
