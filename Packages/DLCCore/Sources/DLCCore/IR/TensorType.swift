/// Element types of tensors.
public enum DType: String, CaseIterable, Sendable, Codable {
    case f32, f64, i32, i64, bool

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .f64, .i64: 8
        case .bool: 1
        }
    }

    public var isFloat: Bool { self == .f32 || self == .f64 }
    public var isInteger: Bool { self == .i32 || self == .i64 }
}

/// One dimension of a shape: a known size, or a symbol (such as the batch size `N`)
/// whose value is only known when the plan runs. A symbol is the same size wherever it occurs.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    case known(Int)
    case symbol(String)

    public var description: String {
        switch self {
        case .known(let n): String(n)
        case .symbol(let s): s
        }
    }

    /// The size if known.
    public var value: Int? {
        if case .known(let n) = self { return n }
        return nil
    }
}

/// The static type of a tensor value: element type and shape.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Dim]

    public init(_ dtype: DType, _ shape: [Dim]) {
        self.dtype = dtype
        self.shape = shape
    }

    /// A type with a fully known shape.
    public init(_ dtype: DType, known: [Int]) {
        self.init(dtype, known.map(Dim.known))
    }

    /// A rank-0 tensor.
    public static func scalar(_ dtype: DType) -> TensorType { TensorType(dtype, []) }

    public var rank: Int { shape.count }

    /// `f32[N, 784]`; a scalar prints as `f32[]`.
    public var description: String {
        "\(dtype)[\(shape.map(\.description).joined(separator: ", "))]"
    }

    /// Number of elements when every symbol is bound by `bindings` (unbound symbols count as 1).
    public func elementCount(bindings: [String: Int] = [:]) -> Int {
        shape.reduce(1) { acc, d in
            switch d {
            case .known(let n): acc &* n
            case .symbol(let s): acc &* (bindings[s] ?? 1)
            }
        }
    }

    /// Size in bytes under the same bindings.
    public func byteCount(bindings: [String: Int] = [:]) -> Int {
        elementCount(bindings: bindings) &* dtype.byteSize
    }

    /// The same shape with another element type.
    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }

    /// The same element type with another shape.
    public func with(shape: [Dim]) -> TensorType { TensorType(dtype, shape) }
}
