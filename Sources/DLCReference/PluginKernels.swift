// Plugin kernels (`Registry.setKernel(of:for: .reference)`) run by the interpreter: the
// operands are copied to contiguous buffers, the results read back.
import DLCCore

extension ReferenceKernels {
    /// A reference kernel that runs a plugin's host kernel over copies of its operands.
    public static func adapting(_ kernel: @escaping HostKernel) -> ReferenceKernel {
        { ctx in
            let ins = ctx.inputs.map(bytes)
            let outs = zip(ctx.outputShapes, ctx.outputTypes).map { shape, type in
                UnsafeMutableRawPointer.allocate(byteCount: max(1, shape.reduce(1, *) * type.byteSize), alignment: 64)
            }
            defer {
                ins.forEach { $0.deallocate() }
                outs.forEach { $0.deallocate() }
            }
            let attributes = ctx.arguments.statics
            try kernel(KernelCall(inputs: ins.map { UnsafeRawPointer($0) }, inputShapes: ctx.inputs.map(\.shape),
                                  inputTypes: ctx.inputs.map(\.dtype), outputs: outs, outputShapes: ctx.outputShapes,
                                  outputTypes: ctx.outputTypes, attributes: attributes))
            return zip(outs, zip(ctx.outputShapes, ctx.outputTypes)).map { p, st in read(st.1, shape: st.0, from: UnsafeRawPointer(p)) }
        }
    }
}

/// A fresh buffer holding a tensor's elements (bool as one byte 0/1).
private func bytes(_ t: HostTensor) -> UnsafeMutableRawPointer {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, t.count * t.dtype.byteSize), alignment: 64)
    switch t.storage {
    case .f32(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
    case .f64(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
    case .i32(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
    case .i64(let a): a.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
    case .bool(let a):
        let q = p.assumingMemoryBound(to: UInt8.self)
        for (i, v) in a.enumerated() { q[i] = v ? 1 : 0 }
    }
    return p
}

private func read(_ dtype: DType, shape: [Int], from p: UnsafeRawPointer) -> HostTensor {
    let n = shape.reduce(1, *)
    func array<T>(_: T.Type) -> [T] { Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: T.self), count: n)) }
    switch dtype {
    case .f32: return HostTensor(shape: shape, storage: .f32(array(Float.self)))
    case .f64: return HostTensor(shape: shape, storage: .f64(array(Double.self)))
    case .i32: return HostTensor(shape: shape, storage: .i32(array(Int32.self)))
    case .i64: return HostTensor(shape: shape, storage: .i64(array(Int64.self)))
    case .bool: return HostTensor(shape: shape, storage: .bool(array(UInt8.self).map { $0 != 0 }))
    }
}
