import DLCCore

/// An optimizer and its hyperparameters, with PyTorch's defaults and update rules.
public struct OptimizerConfig: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case sgd, adam, adamw, adagrad, rmsprop
    }

    public var kind: Kind
    /// The base learning rate; the training loop feeds the scheduled value each step.
    public var lr: Double
    public var momentum = 0.0
    public var nesterov = false
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var eps = 1e-8
    /// RMSProp's smoothing constant.
    public var alpha = 0.99
    /// L2 weight decay added to the gradient (SGD, Adam, AdaGrad, RMSProp) or decoupled (AdamW).
    public var weightDecay = 0.0

    public init(kind: Kind, lr: Double) {
        self.kind = kind
        self.lr = lr
        if kind == .adagrad { eps = 1e-10 }
        if kind == .adamw { weightDecay = 0.01 }
    }
}

/// Everything that turns a model into its training step besides the optimizer.
public struct TrainingOptions: Sendable {
    public var optimizer: OptimizerConfig
    /// Which loss to minimize (nil: the model's only loss).
    public var loss: String?
    /// Penalties added to the loss over the weights (parameters of rank ≥ 2):
    /// `l1 · Σ|w|` and `l2 · Σw²`.
    public var l1 = 0.0
    public var l2 = 0.0
    /// Rescale all gradients together when their global L2 norm exceeds this.
    public var clipNorm: Double?
    /// Parameters that are not trained (`freeze:`): no gradient is computed for them, no
    /// penalty or optimizer state is added, and they keep their values.
    public var frozen: Set<String> = []

    public init(optimizer: OptimizerConfig) { self.optimizer = optimizer }
}
