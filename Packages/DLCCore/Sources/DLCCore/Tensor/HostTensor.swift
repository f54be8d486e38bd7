/// A tensor in host memory with a concrete shape: what flows in and out of executors,
/// data loaders, weight files and tests. Element storage is typed by `dtype`.
public struct HostTensor: Equatable, Sendable, CustomStringConvertible {
    public enum Storage: Equatable, Sendable {
        case f32([Float])
        case f64([Double])
        case i32([Int32])
        case i64([Int64])
        case bool([Bool])

        public var count: Int {
            switch self {
            case .f32(let a): a.count
            case .f64(let a): a.count
            case .i32(let a): a.count
            case .i64(let a): a.count
            case .bool(let a): a.count
            }
        }
    }

    public let shape: [Int]
    public var storage: Storage

    /// - Precondition: the element count matches the shape.
    public init(shape: [Int], storage: Storage) {
        precondition(shape.reduce(1, *) == storage.count, "HostTensor: \(storage.count) elements for shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], f32: [Float]) { self.init(shape: shape, storage: .f32(f32)) }
    public init(shape: [Int], f64: [Double]) { self.init(shape: shape, storage: .f64(f64)) }

    /// Zeros of a dtype.
    public static func zeros(_ dtype: DType, shape: [Int]) -> HostTensor {
        let n = shape.reduce(1, *)
        switch dtype {
        case .f32: return HostTensor(shape: shape, storage: .f32(Array(repeating: 0, count: n)))
        case .f64: return HostTensor(shape: shape, storage: .f64(Array(repeating: 0, count: n)))
        case .i32: return HostTensor(shape: shape, storage: .i32(Array(repeating: 0, count: n)))
        case .i64: return HostTensor(shape: shape, storage: .i64(Array(repeating: 0, count: n)))
        case .bool: return HostTensor(shape: shape, storage: .bool(Array(repeating: false, count: n)))
        }
    }

    public var dtype: DType {
        switch storage {
        case .f32: .f32
        case .f64: .f64
        case .i32: .i32
        case .i64: .i64
        case .bool: .bool
        }
    }

    public var count: Int { storage.count }

    /// Every element as a Double (booleans as 0 and 1).
    public var doubles: [Double] {
        switch storage {
        case .f32(let a): a.map(Double.init)
        case .f64(let a): a
        case .i32(let a): a.map(Double.init)
        case .i64(let a): a.map(Double.init)
        case .bool(let a): a.map { $0 ? 1 : 0 }
        }
    }

    /// The same values converted to another dtype (floats truncate toward zero into integers).
    public func converted(to dtype: DType) -> HostTensor {
        if dtype == self.dtype { return self }
        let d = doubles
        switch dtype {
        case .f32: return HostTensor(shape: shape, storage: .f32(d.map { Float($0) }))
        case .f64: return HostTensor(shape: shape, storage: .f64(d))
        case .i32: return HostTensor(shape: shape, storage: .i32(d.map { Int32(clamping: Int64($0.isFinite ? $0 : 0)) }))
        case .i64: return HostTensor(shape: shape, storage: .i64(d.map { Int64($0.isFinite ? $0 : 0) }))
        case .bool: return HostTensor(shape: shape, storage: .bool(d.map { $0 != 0 }))
        }
    }

    public var type: TensorType { TensorType(dtype, known: shape) }

    public var description: String { "\(dtype)\(shape)" }
}
