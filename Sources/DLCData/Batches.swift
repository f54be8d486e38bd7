/// Mini-batches over a data set for one epoch: consecutive slices of `size` examples, in a
/// shuffled order when a seed is given. The last, smaller batch is kept unless `dropLast`.
public struct Batches: Sequence, Sendable {
    /// The data set batched.
    public let dataset: Dataset
    /// Examples per batch.
    public let size: Int
    /// Whether a final batch smaller than `size` is skipped.
    public let dropLast: Bool
    /// The order the examples are visited in.
    public let order: [Int]

    /// Batches of `size` (≥ 1). With a `shuffleSeed`, the order is
    /// `SplitMix64(seed: shuffleSeed ^ epoch·0x9E3779B97F4A7C15)`'s permutation, so every
    /// epoch of a run has its own order and a rerun repeats them; without one, the data
    /// set's own order.
    public init(_ dataset: Dataset, size: Int, dropLast: Bool = false, shuffleSeed: UInt64? = nil, epoch: Int = 0) {
        precondition(size >= 1, "Batches: the batch size must be at least 1")
        self.dataset = dataset
        self.size = size
        self.dropLast = dropLast
        if let s = shuffleSeed {
            var rng = SplitMix64(seed: s ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
            order = rng.permutation(dataset.count)
        } else {
            order = Array(0..<dataset.count)
        }
    }

    /// The number of batches.
    public var count: Int { dropLast ? order.count / size : (order.count + size - 1) / size }

    /// The batch at position `i` (0..<count).
    public subscript(i: Int) -> Dataset {
        let lo = i * size, hi = Swift.min(lo + size, order.count)
        return dataset.subset(Array(order[lo..<hi]))
    }

    /// Iterates the batches in order.
    public func makeIterator() -> AnyIterator<Dataset> {
        var i = 0
        return AnyIterator {
            guard i < self.count else { return nil }
            defer { i += 1 }
            return self[i]
        }
    }
}
