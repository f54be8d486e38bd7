import DLCCore

/// Per-feature standardization, fitted on the training split: x' = (x − mean) / std, each
/// feature (element of an example's flattened features) with its own statistics. A feature
/// that is constant in the training split gets std 1, so it maps to 0 rather than NaN.
/// Codable, so the fitted statistics can be saved with a model and re-applied.
public struct Standardizer: Codable, Equatable, Sendable {
    /// Per-feature means of the training split.
    public var mean: [Float]
    /// Per-feature population standard deviations (1 where the feature is constant).
    public var std: [Float]

    /// Statistics as saved earlier.
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Fits the statistics on `train` (accumulated in Double).
    public static func fit(_ train: Dataset) throws -> Standardizer {
        let (n, f, x) = try features(train, "standardize")
        var mean = [Double](repeating: 0, count: f), sq = [Double](repeating: 0, count: f)
        for i in 0..<n { for j in 0..<f { mean[j] += Double(x[i * f + j]) } }
        for j in 0..<f { mean[j] /= Double(n) }
        for i in 0..<n { for j in 0..<f { let d = Double(x[i * f + j]) - mean[j]; sq[j] += d * d } }
        let std = sq.map { v -> Float in let s = (v / Double(n)).squareRoot(); return s > 1e-12 ? Float(s) : 1 }
        return Standardizer(mean: mean.map { Float($0) }, std: std)
    }

    /// Applies the statistics to any split; the feature count must match the fitted one.
    public func apply(_ d: Dataset) throws -> Dataset {
        let (n, f, x) = try features(d, "standardize")
        guard f == mean.count else { throw DLCError("standardize: fitted on \(mean.count) features, applied to \(f)") }
        var out = x
        for i in 0..<n { for j in 0..<f { out[i * f + j] = (x[i * f + j] - mean[j]) / std[j] } }
        return Dataset(unchecked: HostTensor(shape: d.x.shape, f32: out), y: d.y)
    }
}

/// Per-feature min-max scaling into [low, high], fitted on the training split. A feature
/// that is constant in the training split maps to `low`. Values of other splits outside the
/// training range land outside [low, high] (no clipping, as scikit-learn's MinMaxScaler).
public struct MinMaxScaler: Codable, Equatable, Sendable {
    /// Per-feature minimum of the training split.
    public var min: [Float]
    /// Per-feature maximum of the training split.
    public var max: [Float]
    /// The target range.
    public var low: Float, high: Float

    /// Statistics as saved earlier.
    public init(min: [Float], max: [Float], low: Float = 0, high: Float = 1) {
        self.min = min
        self.max = max
        self.low = low
        self.high = high
    }

    /// Fits the per-feature range on `train`.
    public static func fit(_ train: Dataset, low: Float = 0, high: Float = 1) throws -> MinMaxScaler {
        guard low < high else { throw DLCError("minmax: low (\(low)) must be less than high (\(high))") }
        let (n, f, x) = try features(train, "minmax")
        var lo = [Float](repeating: .infinity, count: f), hi = [Float](repeating: -.infinity, count: f)
        for i in 0..<n {
            for j in 0..<f { let v = x[i * f + j]; lo[j] = Swift.min(lo[j], v); hi[j] = Swift.max(hi[j], v) }
        }
        return MinMaxScaler(min: lo, max: hi, low: low, high: high)
    }

    /// Applies the fitted range to any split; the feature count must match.
    public func apply(_ d: Dataset) throws -> Dataset {
        let (n, f, x) = try features(d, "minmax")
        guard f == min.count else { throw DLCError("minmax: fitted on \(min.count) features, applied to \(f)") }
        var out = x
        for j in 0..<f {
            let range = max[j] - min[j]
            let scale = range > 0 ? (high - low) / range : 0
            for i in 0..<n { out[i * f + j] = low + (x[i * f + j] - min[j]) * scale }
        }
        return Dataset(unchecked: HostTensor(shape: d.x.shape, f32: out), y: d.y)
    }
}

/// The examples, features per example and the f32 features of a non-empty data set.
private func features(_ d: Dataset, _ what: String) throws -> (Int, Int, [Float]) {
    let n = d.count
    guard n > 0 else { throw DLCError("\(what): the data set is empty") }
    return (n, d.x.count / n, d.x.floats)
}
