// Reading a node's attributes while lowering. Shape rules already validated them, so these
// accessors only convert (an int or a list, padding forms) and fail with the op's name if a
// graph was built by hand with something malformed.
import DLCCore

extension Node {
    func fail(_ what: String) -> DLCError {
        DLCError("cannot lower '\(op)' (node \(id.index)) to the CPU back end: \(what)")
    }

    func int(_ key: String) throws -> Int {
        guard let v = attributes[key]?.intValue else { throw fail("attribute '\(key)' is missing or not an integer") }
        return v
    }

    func double(_ key: String) throws -> Double {
        guard let v = attributes[key]?.doubleValue else { throw fail("attribute '\(key)' is missing or not a number") }
        return v
    }

    func bool(_ key: String, default d: Bool = false) -> Bool { attributes[key]?.boolValue ?? d }

    /// An int repeated `count` times, or a list of exactly `count` ints.
    func ints(_ key: String, count: Int) throws -> [Int] {
        let v = attributes[key]
        if let i = v?.intValue { return Array(repeating: i, count: count) }
        if let l = v?.listValue, l.count == count, l.allSatisfy({ $0.intValue != nil }) { return l.map { $0.intValue! } }
        throw fail("attribute '\(key)' must be an integer or \(count) integers, found \(v?.description ?? "nothing")")
    }

    /// A list of ints (or one int as a list).
    func intList(_ key: String) throws -> [Int] {
        let v = attributes[key]
        if let i = v?.intValue { return [i] }
        if let l = v?.listValue, l.allSatisfy({ $0.intValue != nil }) { return l.map { $0.intValue! } }
        throw fail("attribute '\(key)' must be a list of integers, found \(v?.description ?? "nothing")")
    }

    /// Axes made non-negative and sorted; an empty list means all.
    func axes(_ key: String, rank: Int) throws -> [Int] {
        let raw = (attributes[key]?.listValue != nil || attributes[key]?.intValue != nil) ? try intList(key) : []
        if raw.isEmpty { return Array(0..<rank) }
        return Array(Set(raw.map { $0 < 0 ? $0 + rank : $0 })).sorted()
    }

    /// A single axis made non-negative.
    func axis(_ key: String, rank: Int) throws -> Int {
        let a = try int(key)
        return a < 0 ? a + rank : a
    }

    /// Window padding as [top, bottom, left, right] for an input of spatial size `size`
    /// (TensorFlow's `same`: the odd pixel at the bottom/right).
    func padding(size: [Int], kernel: [Int], stride: [Int], dilation: [Int]) throws -> [Int] {
        let v = attributes["padding"] ?? .int(0)
        if let s = v.stringValue {
            if s == "valid" { return [0, 0, 0, 0] }
            guard s == "same" else { throw fail("unknown padding '\(s)'") }
            var out: [Int] = []
            for i in 0..<2 {
                let extent = dilation[i] * (kernel[i] - 1) + 1
                let o = (size[i] + stride[i] - 1) / stride[i]
                let total = max((o - 1) * stride[i] + extent - size[i], 0)
                out += [total / 2, total - total / 2]
            }
            return out
        }
        if let i = v.intValue { return [i, i, i, i] }
        if let l = v.listValue, l.allSatisfy({ $0.intValue != nil }) {
            let n = l.map { $0.intValue! }
            if n.count == 2 { return [n[0], n[0], n[1], n[1]] }
            if n.count == 4 { return n }
        }
        throw fail("padding must be an integer, [h, w] or [top, bottom, left, right], found \(v)")
    }
}

extension DType {
    /// The element-type code of the C kernels (DLC_F32 …).
    var code: Int {
        switch self {
        case .f32: 0
        case .f64: 1
        case .i32: 2
        case .i64: 3
        case .bool: 4
        }
    }

    init?(code: Int) {
        guard let d = [DType.f32, .f64, .i32, .i64, .bool].first(where: { $0.code == code }) else { return nil }
        self = d
    }
}

/// Row-major strides (in elements) of a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] { Shapes.contiguousStrides(shape) }

/// Strides reading `shape` broadcast to `out` (NumPy rules: aligned right, 0 where broadcast).
func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
    let s = contiguousStrides(shape)
    let offset = out.count - shape.count
    return out.indices.map { i in
        let j = i - offset
        return j < 0 || shape[j] == 1 ? 0 : s[j]
    }
}

/// Drops dimensions of size 1 and merges neighbours that are contiguous for every operand,
/// so strided kernels run long inner loops. Returns the shape and each operand's strides.
func collapse(_ shape: [Int], _ strides: [[Int]]) -> ([Int], [[Int]]) {
    var shp: [Int] = [], st: [[Int]] = strides.map { _ in [] }
    for d in shape.indices where shape[d] != 1 {
        if let last = shp.indices.last,
           strides.indices.allSatisfy({ st[$0][last] == strides[$0][d] * shape[d] }) {
            shp[last] *= shape[d]
            for k in strides.indices { st[k][last] = strides[k][d] }
        } else {
            shp.append(shape[d])
            for k in strides.indices { st[k].append(strides[k][d]) }
        }
    }
    return (shp, st)
}
