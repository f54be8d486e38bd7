// Sliding-window geometry shared by convolution and pooling (DLCOps) and the fused
// convolution (DLCPasses): padding attributes and the spatial output sizes of NCHW tensors.

/// Padding of a 2-D window op.
public enum Padding: Equatable, Sendable {
    /// Explicit amounts: top, bottom, left, right.
    case explicit([Int])
    /// TensorFlow's `SAME`: output ceil(size / stride), padding split with the extra at the end.
    case same

    /// Reads an int, `[h, w]`, `[top, bottom, left, right]`, or the names `same` / `valid`.
    public static func parse(_ args: Arguments, _ name: String = "padding", op: String, allowSame: Bool) throws -> Padding {
        let v = args.value(name) ?? .int(0)
        if let s = v.stringValue {
            switch s {
            case "valid": return .explicit([0, 0, 0, 0])
            case "same" where allowSame: return .same
            case "same": throw DLCError("'\(op)' does not support padding 'same'; give the amounts", argument: name)
            default:
                throw DLCError("argument '\(name)' of '\(op)' must be an integer, [h, w], [top, bottom, left, right]\(allowSame ? ", 'same' or 'valid'" : " or 'valid'"), found \(v)",
                               argument: name)
            }
        }
        let xs: [Int]
        if let i = v.intValue { xs = [i, i, i, i] }
        else if let l = v.listValue, l.allSatisfy({ $0.intValue != nil }), l.count == 2 || l.count == 4 {
            let n = l.map { $0.intValue! }
            xs = n.count == 2 ? [n[0], n[0], n[1], n[1]] : n
        } else {
            throw DLCError("argument '\(name)' of '\(op)' must be an integer, [h, w], [top, bottom, left, right]\(allowSame ? ", 'same' or 'valid'" : " or 'valid'"), found \(v)",
                           argument: name)
        }
        if let bad = xs.first(where: { $0 < 0 }) {
            throw DLCError("argument '\(name)' of '\(op)' must not be negative, found \(bad)", argument: name)
        }
        return .explicit(xs)
    }
}

/// The known height and width of an NCHW tensor.
public func spatialSize(_ x: TensorType, operand: Int, op: String) throws -> [Int] {
    guard let h = x.shape[2].value, let w = x.shape[3].value else {
        throw DLCError("'\(op)' needs known spatial sizes (dimensions 2 and 3), found \(x)", operands: [operand])
    }
    return [h, w]
}

/// Output height and width of a window sliding over `x` (NCHW).
/// - Parameters:
///   - what: how the window is named in messages ("kernel", "pooling window").
///   - blame: the argument blamed when the window does not fit (nil: the operands).
public func windowOutput(_ x: TensorType, kernel: [Int], stride: [Int], dilation: [Int] = [1, 1], padding: Padding,
                  ceilMode: Bool = false, op: String, what: String, blame: String?, operands: [Int]) throws -> [Int] {
    let size = try spatialSize(x, operand: 0, op: op)
    var out: [Int] = []
    for i in 0..<2 {
        let extent = dilation[i] * (kernel[i] - 1) + 1
        let before: Int, after: Int
        switch padding {
        case .explicit(let p):
            before = p[2 * i]; after = p[2 * i + 1]
        case .same:
            let o = (size[i] + stride[i] - 1) / stride[i]
            let total = Swift.max((o - 1) * stride[i] + extent - size[i], 0)
            before = total / 2; after = total - before
        }
        guard var o = Shapes.windowOutput(input: size[i], kernel: kernel[i], stride: stride[i], padBefore: before,
                                          padAfter: after, dilation: dilation[i], ceilMode: ceilMode) else {
            let side = i == 0 ? "height" : "width"
            throw DLCError("the \(kernel[0])x\(kernel[1]) \(what) does not fit \(x) in '\(op)': the padded \(side) is \(size[i] + before + after) but the \(what) spans \(extent)",
                           argument: blame, operands: blame == nil ? operands : [])
        }
        // PyTorch: with ceil_mode the last window must start inside the input or the left padding.
        if ceilMode, (o - 1) * stride[i] >= size[i] + before { o -= 1 }
        out.append(o)
    }
    return out
}
