/// Regression metrics over flattened targets and predictions, as scikit-learn defines them.
extension Metrics {
    /// Mean squared error.
    public static func meanSquaredError(_ y: [Double], _ p: [Double]) -> Double {
        guard !y.isEmpty else { return 0 }
        return zip(y, p).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(y.count)
    }

    /// Mean absolute error.
    public static func meanAbsoluteError(_ y: [Double], _ p: [Double]) -> Double {
        guard !y.isEmpty else { return 0 }
        return zip(y, p).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(y.count)
    }

    /// The coefficient of determination 1 − SS_res / SS_tot; for constant targets, 1 when the
    /// predictions are exact and 0 otherwise (sklearn's `r2_score`).
    public static func r2(_ y: [Double], _ p: [Double]) -> Double {
        guard !y.isEmpty else { return 0 }
        let mean = y.reduce(0, +) / Double(y.count)
        let ssRes = zip(y, p).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let ssTot = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        if ssTot == 0 { return ssRes == 0 ? 1 : 0 }
        return 1 - ssRes / ssTot
    }
}
