import DLCCore

/// Choosing part of a data set: some of its classes (`data: digits(classes: [5, 6, 7])`) and a
/// fraction of its training examples (`subset: 0.1`, e.g. to train with few labels).
extension Dataset {
    /// The examples whose label is one of `classes`, relabelled by position in the list
    /// (`[5, 6, 7]`: 5 → 0, 6 → 1, 7 → 2), in their original order.
    /// - Throws: `DLCError` for f32 targets, an empty or repeated list, or a class with no
    ///   example (naming `source`).
    public func selectingClasses(_ classes: [Int], source: String = "data set") throws -> Dataset {
        guard case .i32(let labels) = y.storage, y.shape.count == 1 else {
            throw DataError.file(source, "classes: needs i32 class labels of shape [N], but y is \(y.dtype)\(y.shape)")
        }
        guard !classes.isEmpty else { throw DataError.file(source, "classes: the list is empty") }
        var index: [Int32: Int32] = [:]
        for (i, c) in classes.enumerated() {
            guard index[Int32(clamping: c)] == nil else { throw DataError.file(source, "classes: \(c) is listed twice") }
            index[Int32(clamping: c)] = Int32(i)
        }
        let kept = labels.indices.filter { index[labels[$0]] != nil }
        let present = Set(kept.map { labels[$0] })
        if let absent = classes.first(where: { !present.contains(Int32(clamping: $0)) }) {
            let all = Set(labels).sorted().map(String.init).joined(separator: ", ")
            throw DataError.file(source, "classes: no example has label \(absent) (labels present: \(all))")
        }
        let picked = subset(kept)
        let relabelled = kept.map { index[labels[$0]]! }
        return Dataset(unchecked: picked.x, y: HostTensor(shape: [kept.count], storage: .i32(relabelled)))
    }

    /// The first round(`fraction` · N) examples (at least one); the splits are shuffled
    /// already, so this is a random subset, the same for the same data seed.
    public func prefix(fraction: Double) -> Dataset {
        let n = Swift.max(1, Swift.min(count, Int((fraction * Double(count)).rounded())))
        return subset(Array(0..<n))
    }
}
