import DLCCore

/// Examples for training or evaluation: features `x` (f32, the first dimension indexes the
/// examples) and targets `y` (i32 class labels of shape [N], or f32 targets [N, ...]).
public struct Dataset: Equatable, Sendable {
    /// Features, f32, shape [N, ...].
    public var x: HostTensor
    /// Targets: i32 class labels [N], or f32 regression targets / one-hot rows [N, ...].
    public var y: HostTensor

    /// A data set from two tensors. Checks that both have a first dimension of the same
    /// size, that `x` is f32 and `y` is i32 or f32; `source` names the origin in errors.
    public init(x: HostTensor, y: HostTensor, source: String = "data set") throws {
        guard let nx = x.shape.first else {
            throw DataError.file(source, "x must have an example dimension, but is a scalar")
        }
        guard let ny = y.shape.first else {
            throw DataError.file(source, "y must have an example dimension, but is a scalar")
        }
        guard nx == ny else {
            throw DataError.file(source, "x has \(nx) examples (shape \(x.shape)) but y has \(ny) (shape \(y.shape))")
        }
        guard x.dtype == .f32 else { throw DataError.file(source, "x must be f32, not \(x.dtype)") }
        guard y.dtype == .i32 || y.dtype == .f32 else { throw DataError.file(source, "y must be i32 or f32, not \(y.dtype)") }
        self.x = x
        self.y = y
    }

    /// Builds without checks; callers guarantee the invariants.
    init(unchecked x: HostTensor, y: HostTensor) {
        self.x = x
        self.y = y
    }

    /// The number of examples.
    public var count: Int { x.shape[0] }

    /// Whether `y` holds class labels (i32).
    public var hasClassLabels: Bool { y.dtype == .i32 }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(unchecked: x.rows(indices), y: y.rows(indices))
    }

    /// Checks the values: every feature finite, and (for class labels, when `classes` is
    /// given) every label in 0..<classes. Errors name `source` and the example index.
    public func validate(classes: Int? = nil, source: String = "data set") throws {
        let per = x.count / Swift.max(count, 1)
        if case .f32(let v) = x.storage {
            for (i, e) in v.enumerated() where !e.isFinite {
                throw DataError.at(source, "example \(i / Swift.max(per, 1)), feature \(i % Swift.max(per, 1))",
                                   "\(e.isNaN ? "NaN" : "infinite value") in the features")
            }
        }
        if case .f32(let v) = y.storage {
            let py = y.count / Swift.max(count, 1)
            for (i, e) in v.enumerated() where !e.isFinite {
                throw DataError.at(source, "example \(i / Swift.max(py, 1))", "\(e.isNaN ? "NaN" : "infinite value") in the targets")
            }
        }
        if let classes, case .i32(let labels) = y.storage {
            for (i, l) in labels.enumerated() where l < 0 || Int(l) >= classes {
                throw DataError.at(source, "example \(i)", "label \(l) is out of range for \(classes) classes (0...\(classes - 1))")
            }
        }
    }

    /// The number of classes the labels imply (largest label + 1), or nil for f32 targets.
    public var inferredClassCount: Int? {
        guard case .i32(let labels) = y.storage else { return nil }
        return Int(labels.max() ?? -1) + 1
    }
}

extension HostTensor {
    /// The rows (slices along the first dimension) at `indices`, in that order.
    func rows(_ indices: [Int]) -> HostTensor {
        let per = shape.dropFirst().reduce(1, *)
        let newShape = [indices.count] + shape.dropFirst()
        func gather<T>(_ a: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(indices.count * per)
            for i in indices { out.append(contentsOf: a[(i * per)..<((i + 1) * per)]) }
            return out
        }
        switch storage {
        case .f32(let a): return HostTensor(shape: newShape, storage: .f32(gather(a)))
        case .f64(let a): return HostTensor(shape: newShape, storage: .f64(gather(a)))
        case .i32(let a): return HostTensor(shape: newShape, storage: .i32(gather(a)))
        case .i64(let a): return HostTensor(shape: newShape, storage: .i64(gather(a)))
        case .bool(let a): return HostTensor(shape: newShape, storage: .bool(gather(a)))
        }
    }

    /// The f32 elements (converting other dtypes).
    var floats: [Float] {
        if case .f32(let a) = storage { return a }
        return doubles.map { Float($0) }
    }
}
