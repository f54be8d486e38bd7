// Helpers shared by the kernels: building tensors of a dtype from Doubles or integers,
// index arithmetic (strides, broadcasting, axes), selection of elements by index.
import DLCCore

extension HostTensor {
    /// Builds a tensor of `dtype` from Doubles: floats round to the dtype, integers truncate
    /// toward zero (non-finite → 0), bool is `!= 0`.
    static func from(_ values: [Double], shape: [Int], dtype: DType) -> HostTensor {
        switch dtype {
        case .f64: return HostTensor(shape: shape, storage: .f64(values))
        case .f32: return HostTensor(shape: shape, storage: .f32(values.map { Float($0) }))
        case .i64: return HostTensor(shape: shape, storage: .i64(values.map(truncatedInt64)))
        case .i32: return HostTensor(shape: shape, storage: .i32(values.map { Int32(clamping: truncatedInt64($0)) }))
        case .bool: return HostTensor(shape: shape, storage: .bool(values.map { $0 != 0 }))
        }
    }

    /// Conversion to another dtype: floats truncate toward zero into integers (saturating;
    /// NaN → 0), bool is `!= 0`; integer → integer wraps like C.
    func cast(to dtype: DType) -> HostTensor {
        if dtype == self.dtype { return self }
        if self.dtype.isFloat || dtype.isFloat { return HostTensor.from(doubles, shape: shape, dtype: dtype) }
        return HostTensor.fromInts(int64s, shape: shape, dtype: dtype)
    }

    /// Builds an integer (or bool) tensor from Int64s; i32 wraps like C.
    static func fromInts(_ values: [Int64], shape: [Int], dtype: DType) -> HostTensor {
        switch dtype {
        case .i64: return HostTensor(shape: shape, storage: .i64(values))
        case .i32: return HostTensor(shape: shape, storage: .i32(values.map { Int32(truncatingIfNeeded: $0) }))
        case .bool: return HostTensor(shape: shape, storage: .bool(values.map { $0 != 0 }))
        case .f32, .f64: return from(values.map(Double.init), shape: shape, dtype: dtype)
        }
    }

    static func fromBools(_ values: [Bool], shape: [Int]) -> HostTensor {
        HostTensor(shape: shape, storage: .bool(values))
    }

    /// Elements as Int64 (exact for integer storage; floats truncate; bools are 0/1).
    var int64s: [Int64] {
        switch storage {
        case .i32(let a): return a.map(Int64.init)
        case .i64(let a): return a
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        case .f32, .f64: return doubles.map(truncatedInt64)
        }
    }

    var bools: [Bool] {
        if case .bool(let a) = storage { return a }
        return doubles.map { $0 != 0 }
    }

    var rank: Int { shape.count }

    /// The same elements in another shape.
    func reshaped(_ shape: [Int]) -> HostTensor { HostTensor(shape: shape, storage: storage) }

    /// Elements picked by index (exact for every dtype); index -1 takes `fill`.
    func take(_ indices: [Int], shape: [Int], fill: Double = 0) -> HostTensor {
        func pick<T>(_ a: [T], _ f: T) -> [T] { indices.map { $0 < 0 ? f : a[$0] } }
        switch storage {
        case .f32(let a): return HostTensor(shape: shape, storage: .f32(pick(a, Float(fill))))
        case .f64(let a): return HostTensor(shape: shape, storage: .f64(pick(a, fill)))
        case .i32(let a): return HostTensor(shape: shape, storage: .i32(pick(a, Int32(clamping: truncatedInt64(fill)))))
        case .i64(let a): return HostTensor(shape: shape, storage: .i64(pick(a, truncatedInt64(fill))))
        case .bool(let a): return HostTensor(shape: shape, storage: .bool(pick(a, fill != 0)))
        }
    }

    /// Tensors of one dtype joined into one flat storage (for selections across several).
    static func joinedStorage(_ ts: [HostTensor]) -> HostTensor {
        let n = ts.reduce(0) { $0 + $1.count }
        switch ts[0].storage {
        case .f32: return HostTensor(shape: [n], storage: .f32(ts.flatMap { if case .f32(let a) = $0.storage { a } else { $0.doubles.map(Float.init) } }))
        case .f64: return HostTensor(shape: [n], storage: .f64(ts.flatMap(\.doubles)))
        case .i32: return HostTensor(shape: [n], storage: .i32(ts.flatMap { $0.int64s.map { Int32(truncatingIfNeeded: $0) } }))
        case .i64: return HostTensor(shape: [n], storage: .i64(ts.flatMap(\.int64s)))
        case .bool: return HostTensor(shape: [n], storage: .bool(ts.flatMap(\.bools)))
        }
    }
}

/// A Double truncated toward zero into Int64, saturating; NaN → 0.
func truncatedInt64(_ d: Double) -> Int64 {
    if d.isNaN { return 0 }
    if d >= 9.223372036854775807e18 { return .max }
    if d <= -9.223372036854775808e18 { return .min }
    return Int64(d)
}

/// Row-major strides of a shape.
func strides(_ shape: [Int]) -> [Int] { Shapes.contiguousStrides(shape) }

/// Calls `body` with every multi-index of `shape` in row-major order (with its linear index).
func forEachIndex(_ shape: [Int], _ body: ([Int], Int) throws -> Void) rethrows {
    let n = shape.reduce(1, *)
    guard n > 0 else { return }
    var idx = Array(repeating: 0, count: shape.count)
    for linear in 0..<n {
        try body(idx, linear)
        var d = shape.count - 1
        while d >= 0 {
            idx[d] += 1
            if idx[d] < shape[d] { break }
            idx[d] = 0
            d -= 1
        }
    }
}

/// The NumPy broadcast of two concrete shapes, or nil.
func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out: [Int] = []
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out.append(da) } else if da == 1 { out.append(db) } else { return nil }
    }
    return out
}

/// For each element of `out` (row-major), the linear index of the element of a tensor of
/// shape `src` that broadcasts to it.
func broadcastIndices(from src: [Int], to out: [Int]) -> [Int] {
    let offset = out.count - src.count
    let ss = strides(src)
    var eff = Array(repeating: 0, count: out.count)
    for i in 0..<src.count where src[i] != 1 { eff[offset + i] = ss[i] }
    var result: [Int] = []
    result.reserveCapacity(out.reduce(1, *))
    forEachIndex(out) { idx, _ in
        var s = 0
        for d in 0..<idx.count { s += idx[d] * eff[d] }
        result.append(s)
    }
    return result
}

/// An axis made non-negative.
func normalizeAxis(_ a: Int, rank: Int) throws -> Int {
    guard a >= -rank, a < rank else { throw DLCError("axis \(a) is out of range for rank \(rank)") }
    return a < 0 ? a + rank : a
}

/// A list of axes from an attribute (an int or a list; empty or absent = all), non-negative and sorted.
func axesList(_ v: StaticValue?, rank: Int) throws -> [Int] {
    let raw: [Int]
    switch v {
    case nil: raw = []
    case .int(let i)?: raw = [i]
    case .list(let xs)?: raw = xs.compactMap(\.intValue)
    default: throw DLCError("bad axes \(v!)")
    }
    if raw.isEmpty { return Array(0..<rank) }
    return try Set(raw.map { try normalizeAxis($0, rank: rank) }).sorted()
}

/// An int-or-list attribute as `count` integers (`3` → `[3, 3]`).
func intsAttr(_ args: Arguments, _ name: String, count: Int) throws -> [Int] {
    guard let v = args.value(name) else { throw DLCError("missing argument '\(name)'") }
    if let i = v.intValue { return Array(repeating: i, count: count) }
    if let l = v.listValue, l.count == count, l.allSatisfy({ $0.intValue != nil }) { return l.map { $0.intValue! } }
    throw DLCError("argument '\(name)' must be an integer or a list of \(count) integers, found \(v)")
}

/// For reductions: for each element of a tensor of `shape`, the linear index of its slot in
/// the reduced tensor (reduced axes collapsed), and the number of slots.
func reductionSlots(_ shape: [Int], axes: [Int]) -> (slots: [Int], count: Int) {
    let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let ks = strides(kept)
    var slots: [Int] = []
    slots.reserveCapacity(shape.reduce(1, *))
    forEachIndex(shape) { idx, _ in
        var s = 0
        for d in 0..<idx.count where !axes.contains(d) { s += idx[d] * ks[d] }
        slots.append(s)
    }
    return (slots, kept.reduce(1, *))
}

/// Errors for a kernel's expectations that the shape rule should already have enforced.
func kernelError(_ op: String, _ message: String) -> DLCError { DLCError("reference kernel '\(op)': \(message)") }
