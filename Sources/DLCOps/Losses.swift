// Losses (scalar, mean reduction) and weight penalties.
import DLCCore

/// A few flops per input element.
private func perElement(_ name: String, _ k: Int) -> (Arguments, [TensorType]) -> Int {
    { args, _ in ((try? args.tensor(name).type.elementCount()) ?? 0) &* k }
}

/// Losses over two operands of the same type: name, operand names, summary.
private let pairLosses: [(String, (String, String), String)] = [
    ("mse", ("pred", "target"), "Mean squared error."),
    ("mae", ("pred", "target"), "Mean absolute error."),
    ("binary_cross_entropy", ("probs", "target"), "Binary cross-entropy of probabilities in (0, 1), mean over elements."),
    ("bce_with_logits", ("logits", "target"), "Binary cross-entropy of sigmoid(logits), computed stably, mean over elements."),
    ("kl_div", ("log_pred", "target"), "KL divergence with PyTorch's semantics: mean of target·(log target − log_pred) over elements."),
    ("gaussian_kl", ("mu", "logvar"), "KL(N(mu, exp(logvar)) ‖ N(0, I)): summed over features, mean over the batch (dim 0)."),
]

/// `cross_entropy`: labels are class indices (integer [N]) or probabilities (float [N, C]).
private func inferCrossEntropy(_ args: Arguments) throws -> [TensorType] {
    let op = "cross_entropy"
    let logits = try args.tensor("logits").type, labels = try args.tensor("labels").type
    try Check.rank(logits, 2, layout: "[N, C]", operand: 0, op: op)
    try Shapes.requireFloat(logits, operand: 0, op: op)
    if labels.dtype.isInteger {
        guard labels.rank == 1 else {
            throw DLCError("'cross_entropy' needs integer labels of rank 1 [N] (one class index per row of \(logits)), found \(labels)",
                           operands: [1])
        }
        guard labels.shape[0] == logits.shape[0] else {
            throw DLCError("'cross_entropy' needs one label per row of the logits \(logits), found \(labels): dimension 0 is \(logits.shape[0]) in the logits and \(labels.shape[0]) in the labels",
                           operands: [0, 1])
        }
    } else if labels.dtype.isFloat {
        guard labels == logits else {
            throw DLCError("'cross_entropy' needs probability labels of the same type as the logits \(logits), found \(labels); class indices must be integers",
                           operands: [0, 1])
        }
    } else {
        throw DLCError("'cross_entropy' needs labels that are integer class indices [N] or probabilities [N, C], found \(labels)",
                       operands: [1])
    }
    return [.scalar(logits.dtype)]
}

/// `nll_loss`: log-probabilities [N, C] and integer class indices [N].
private func inferNLLLoss(_ args: Arguments) throws -> [TensorType] {
    let op = "nll_loss"
    let lp = try args.tensor("log_probs").type, labels = try args.tensor("labels").type
    try Check.rank(lp, 2, layout: "[N, C]", operand: 0, op: op)
    try Shapes.requireFloat(lp, operand: 0, op: op)
    guard labels.dtype.isInteger, labels.rank == 1 else {
        throw DLCError("'nll_loss' needs integer class indices of rank 1 [N] (one per row of \(lp)), found \(labels)", operands: [1])
    }
    guard labels.shape[0] == lp.shape[0] else {
        throw DLCError("'nll_loss' needs one label per row of the log-probabilities \(lp), found \(labels): dimension 0 is \(lp.shape[0]) in the log-probabilities and \(labels.shape[0]) in the labels",
                       operands: [0, 1])
    }
    return [.scalar(lp.dtype)]
}

func registerLosses(_ registry: Registry) throws {
    for (name, (a, b), summary) in pairLosses {
        try registry.register(OpSpec(name, family: .loss,
            signature: Signature([.operand(a), .operand(b)]), summary: summary,
            flops: perElement(a, 4)) { args in
            let ta = try args.tensor(a).type, tb = try args.tensor(b).type
            try Check.sameType(ta, tb, op: name, names: (a, b))
            try Shapes.requireFloat(ta, operand: 0, op: name)
            if name == "gaussian_kl", ta.rank == 0 {
                throw DLCError("'gaussian_kl' needs a batch dimension, found \(ta)", operands: [0])
            }
            return [.scalar(ta.dtype)]
        })
    }
    try registry.register(OpSpec("cross_entropy", family: .loss,
        signature: Signature([.operand("logits", "[N, C]"), .operand("labels", "integer [N] or probabilities [N, C]")]),
        summary: "Softmax cross-entropy, mean over the batch.", flops: perElement("logits", 5), infer: inferCrossEntropy))
    try registry.register(OpSpec("nll_loss", family: .loss,
        signature: Signature([.operand("log_probs", "[N, C]"), .operand("labels", "integer [N]")]),
        summary: "Negative log-likelihood of class indices under log-probabilities (e.g. a log_softmax), mean over the batch.",
        flops: perElement("log_probs", 1), infer: inferNLLLoss))
    for (name, summary) in [("l1_penalty", "Sum of |x|, for L1 regularization."), ("l2_penalty", "Sum of x², for L2 regularization.")] {
        try registry.register(OpSpec(name, family: .loss, signature: Signature([.operand("x")]), summary: summary,
                                     flops: perElement("x", 2)) { args in
            let x = try args.tensor("x").type
            try Shapes.requireFloat(x, operand: 0, op: name)
            return [.scalar(x.dtype)]
        })
    }
}
