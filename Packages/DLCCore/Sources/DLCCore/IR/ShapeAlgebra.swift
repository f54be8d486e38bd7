/// Shape arithmetic shared by the shape rules of ops (built-in and plugin ones).
public enum Shapes {
    /// The NumPy broadcast of two shapes, aligned from the right.
    /// - Throws: `DLCError` naming the dimensions that disagree (operands 0 and 1).
    public static func broadcast(_ a: TensorType, _ b: TensorType, op: String) throws -> [Dim] {
        try broadcast(a.shape, b.shape) { i, da, db in
            DLCError("cannot broadcast \(a) and \(b) in '\(op)': dimension \(i) is \(da) in one and \(db) in the other",
                     operands: [0, 1])
        }
    }

    /// Broadcast of two shapes; `failure(axisFromLeftOfResult, dimA, dimB)` makes the error.
    public static func broadcast(_ a: [Dim], _ b: [Dim], failure: (Int, Dim, Dim) -> DLCError) throws -> [Dim] {
        let rank = max(a.count, b.count)
        var out: [Dim] = []
        for i in 0..<rank {
            let da = i < rank - a.count ? Dim.known(1) : a[i - (rank - a.count)]
            let db = i < rank - b.count ? Dim.known(1) : b[i - (rank - b.count)]
            if da == db || db == .known(1) { out.append(da) }
            else if da == .known(1) { out.append(db) }
            else { throw failure(i, da, db) }
        }
        return out
    }

    /// An axis in `-rank..<rank` made non-negative.
    /// - Throws: `DLCError` blaming `argument` when out of range.
    public static func axis(_ axis: Int, rank: Int, argument: String = "axis", op: String) throws -> Int {
        guard axis >= -rank, axis < rank else {
            throw DLCError("axis \(axis) is out of range for '\(op)' on a tensor of rank \(rank) (valid: \(-rank)...\(rank - 1))",
                           argument: argument)
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Row-major (C-order) strides, in elements, of a concrete shape.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = Array(repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// Product of dimensions when all are known.
    public static func knownProduct(_ dims: some Sequence<Dim>) -> Int? {
        var p = 1
        for d in dims {
            guard let v = d.value else { return nil }
            p *= v
        }
        return p
    }

    /// The result of a sliding window (convolution, pooling) along one dimension, or nil
    /// when the window does not fit.
    public static func windowOutput(input: Int, kernel: Int, stride: Int, padBefore: Int, padAfter: Int,
                                    dilation: Int = 1, ceilMode: Bool = false) -> Int? {
        let effective = dilation * (kernel - 1) + 1
        let span = input + padBefore + padAfter - effective
        guard span >= 0 else { return nil }
        return (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    }

    /// Requires a floating-point operand.
    public static func requireFloat(_ t: TensorType, operand: Int, op: String) throws {
        guard t.dtype.isFloat else {
            throw DLCError("'\(op)' needs a floating-point tensor, found \(t)", operands: [operand])
        }
    }

    /// Requires a given rank (or one of several).
    public static func requireRank(_ t: TensorType, _ ranks: Int..., operand: Int, op: String, what: String = "") throws {
        guard ranks.contains(t.rank) else {
            let want = ranks.map(String.init).joined(separator: " or ")
            throw DLCError("'\(op)' expects \(what.isEmpty ? "a tensor" : what) of rank \(want), found \(t)", operands: [operand])
        }
    }

    /// Requires two operands of the same element type.
    public static func requireSameDType(_ a: TensorType, _ b: TensorType, op: String) throws {
        guard a.dtype == b.dtype else {
            throw DLCError("'\(op)' needs operands of the same element type, found \(a) and \(b); convert one with cast()",
                           operands: [0, 1])
        }
    }
}
