import DLCCore

/// A preprocessing step as a train section's `preprocess:` list names it.
public enum PreprocessStep: Equatable, Codable, Sendable {
    /// Per-feature (x − mean) / std, statistics from the training split.
    case standardize
    /// Per-feature scaling into [low, high], range from the training split.
    case minmax(low: Float = 0, high: Float = 1)
    /// Class labels → one-hot f32 rows; nil classes: the training split's largest label + 1.
    case oneHot(classes: Int? = nil)
    /// Bilinear resize of images to size×size.
    case upscale(size: Int)
    /// 1 where x > threshold, else 0.
    case binarize(threshold: Float = 0.5)
    /// x [N, ...] → [N, F].
    case flatten
}

/// A step with everything it learnt from the training split: what to save with a trained
/// model and re-apply to new data. Codable (JSON via Foundation's encoders).
public enum FittedStep: Equatable, Codable, Sendable {
    /// Standardization with the training split's means and deviations.
    case standardize(Standardizer)
    /// Min-max scaling with the training split's ranges.
    case minmax(MinMaxScaler)
    /// One-hot labels with a fixed class count.
    case oneHot(classes: Int)
    /// Bilinear resize to size×size.
    case upscale(size: Int)
    /// Thresholding.
    case binarize(threshold: Float)
    /// Flattening to [N, F].
    case flatten
}

/// Preprocessing fitted on a training split, applicable to any split or to new data.
public struct FittedPreprocessing: Equatable, Codable, Sendable {
    /// The steps in order.
    public var steps: [FittedStep]

    /// Fitted steps as saved earlier.
    public init(steps: [FittedStep]) { self.steps = steps }

    /// Fits `steps` in order on `train`: each step is fitted on the output of the ones
    /// before it, so statistics never see validation or test examples.
    public static func fit(_ steps: [PreprocessStep], on train: Dataset) throws -> FittedPreprocessing {
        var fitted: [FittedStep] = []
        var d = train
        for s in steps {
            let f: FittedStep
            switch s {
            case .standardize: f = .standardize(try Standardizer.fit(d))
            case .minmax(let lo, let hi): f = .minmax(try MinMaxScaler.fit(d, low: lo, high: hi))
            case .oneHot(let c):
                guard let k = c ?? d.inferredClassCount else {
                    throw DLCError("one_hot needs i32 class labels, but the targets are \(d.y)")
                }
                f = .oneHot(classes: k)
            case .upscale(let size): f = .upscale(size: size)
            case .binarize(let t): f = .binarize(threshold: t)
            case .flatten: f = .flatten
            }
            d = try FittedPreprocessing.apply(f, to: d, source: "training split")
            fitted.append(f)
        }
        return FittedPreprocessing(steps: fitted)
    }

    /// Applies the fitted steps to `d`; `source` names it in errors.
    public func apply(_ d: Dataset, source: String = "data set") throws -> Dataset {
        try steps.reduce(d) { try FittedPreprocessing.apply($1, to: $0, source: source) }
    }

    /// Fits on `splits.train` and applies to all three splits.
    public static func prepare(_ splits: Splits, steps: [PreprocessStep]) throws -> (Splits, FittedPreprocessing) {
        let f = try fit(steps, on: splits.train)
        return (Splits(train: try f.apply(splits.train, source: "training split"),
                       validation: try f.apply(splits.validation, source: "validation split"),
                       test: try f.apply(splits.test, source: "test split")), f)
    }

    private static func apply(_ s: FittedStep, to d: Dataset, source: String) throws -> Dataset {
        if d.count == 0 {
            // Shapes still change for empty splits; statistics are not needed.
            switch s {
            case .flatten: return Preprocess.flatten(d)
            case .upscale(let size): return try Preprocess.upscale(d, size: size)
            case .oneHot(let k): return try Preprocess.oneHot(d, classes: k, source: source)
            default: return d
            }
        }
        switch s {
        case .standardize(let st): return try st.apply(d)
        case .minmax(let m): return try m.apply(d)
        case .oneHot(let k): return try Preprocess.oneHot(d, classes: k, source: source)
        case .upscale(let size): return try Preprocess.upscale(d, size: size)
        case .binarize(let t): return Preprocess.binarize(d, threshold: t)
        case .flatten: return Preprocess.flatten(d)
        }
    }
}
