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
            return zip(outs, zip(ctx.outputShapes, ctx.outputTypes)).map { p, st in HostTensor.read(st.1, shape: st.0, from: UnsafeRawPointer(p)) }
        }
    }
}

/// A fresh buffer holding a tensor's elements (bool as one byte 0/1).
private func bytes(_ t: HostTensor) -> UnsafeMutableRawPointer {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, t.count * t.dtype.byteSize), alignment: 64)
    t.write(to: p)
    return p
}
