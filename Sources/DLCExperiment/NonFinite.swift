import DLCCore

/// Where a diverging run first went non-finite, for its error message.
enum NonFinite {
    /// The first NaN or ±infinity of a floating-point tensor: its position (one index per
    /// axis) and value.
    static func first(_ t: HostTensor) -> (index: [Int], value: Double)? {
        guard t.dtype.isFloat else { return nil }
        let values = t.doubles
        guard let flat = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        var index: [Int] = [], rest = flat
        for size in t.shape.reversed() {
            index.insert(rest % max(size, 1), at: 0)
            rest /= max(size, 1)
        }
        return (index, values[flat])
    }

    /// `nan`, `inf` or `-inf` (Swift prints a NaN with its sign bit set as `-nan`).
    static func describe(_ v: Double) -> String {
        v.isNaN ? "nan" : v.isInfinite ? (v > 0 ? "inf" : "-inf") : "\(v)"
    }

    /// `'fc1.weight' at [12, 5] = nan` for the first tensor of `order` with a non-finite value.
    static func firstIn(_ tensors: [String: HostTensor], order: [String]) -> String? {
        for name in order {
            if let t = tensors[name], let (index, value) = first(t) {
                return "'\(name)'" + (index.isEmpty ? "" : " at [\(index.map(String.init).joined(separator: ", "))]") + " = \(describe(value))"
            }
        }
        return nil
    }

    /// The message of a step whose loss is not finite: the step, the first non-finite value
    /// (a model output, else the loss itself) and the first parameter or optimizer state the
    /// step's update left non-finite.
    static func lossMessage(loss: Double, epoch: Int, batch: Int, step: Int,
                            outputs: [String: HostTensor], outputOrder: [String],
                            state: [String: HostTensor], stateOrder: [String]) -> String {
        var s = "the loss became \(describe(loss)) at epoch \(epoch), step \(batch) (step \(step) of the run); the first non-finite value: "
        if let output = firstIn(outputs, order: outputOrder) {
            s += "output \(output)"
        } else {
            s += "the loss itself (the model's outputs are finite)"
        }
        if let parameter = firstIn(state, order: stateOrder) {
            s += "; after the update, \(parameter)"
        }
        return s
    }
}
