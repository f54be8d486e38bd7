import DLCCore

/// Classification metrics computed on the host.
public enum Metrics {
    /// How many rows of `scores` [N, C] have their largest entry (the first, on ties) at the
    /// row's label.
    public static func correctCount(scores: HostTensor, labels: HostTensor) -> Int {
        guard scores.shape.count == 2, labels.count == scores.shape[0] else { return 0 }
        let s = scores.doubles, y = labels.doubles
        let c = scores.shape[1]
        var correct = 0
        for i in 0..<scores.shape[0] {
            var best = 0
            for j in 1..<max(1, c) where s[i * c + j] > s[i * c + best] { best = j }
            if Double(best) == y[i] { correct += 1 }
        }
        return correct
    }
}
