import DLCCore

/// A data set divided into training, validation and test examples.
public struct Splits: Equatable, Sendable {
    /// The examples to train on (and to fit preprocessing statistics on).
    public var train: Dataset
    /// Examples held out during training for early stopping and model selection (may be empty).
    public var validation: Dataset
    /// The remaining examples (may be empty).
    public var test: Dataset

    /// Splits `d` deterministically: the examples are shuffled with `SplitMix64(seed:)`'s
    /// permutation, then the first round(train · N) go to training, the next
    /// round(validation · N) to validation and the rest to test. Fractions must be ≥ 0 with
    /// train + validation ≤ 1; an empty training split is an error.
    public init(_ d: Dataset, train: Double, validation: Double = 0, seed: UInt64, shuffle: Bool = true) throws {
        guard train > 0, validation >= 0, train + validation <= 1 + 1e-12 else {
            throw DLCError("invalid split: train \(train) and validation \(validation) must be fractions with train > 0 and a sum of at most 1")
        }
        let n = d.count
        var rng = SplitMix64(seed: seed)
        let order = shuffle ? rng.permutation(n) : Array(0..<n)
        let nTrain = Int((train * Double(n)).rounded())
        let nVal = min(Int((validation * Double(n)).rounded()), n - nTrain)
        guard nTrain > 0 else { throw DLCError("invalid split: a training fraction of \(train) of \(n) examples leaves none to train on") }
        self.train = d.subset(Array(order[0..<nTrain]))
        self.validation = d.subset(Array(order[nTrain..<(nTrain + nVal)]))
        self.test = d.subset(Array(order[(nTrain + nVal)...]))
    }

    /// Splits from given parts.
    public init(train: Dataset, validation: Dataset, test: Dataset) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// The same transform applied to every split.
    public func map(_ f: (Dataset) throws -> Dataset) rethrows -> Splits {
        Splits(train: try f(train), validation: try f(validation), test: try f(test))
    }
}
