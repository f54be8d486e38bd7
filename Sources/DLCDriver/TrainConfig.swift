import DLCCore
import DLCData
import DLCFrontend
import DLCTraining
import DLCTransfer

/// The settings of a checked `train` section in the form the training code takes them.
/// Unset settings take the defaults documented in docs/language.md.
public struct TrainConfig {
    public var training: TrainingOptions
    public var batch = 32
    public var epochs = 1
    /// `steps: N`: train for N optimizer steps (the last epoch may be partial) instead of
    /// `epochs`; `--epochs` on the command line takes precedence.
    public var steps: Int?
    public var seed = 0
    public var metrics: [String] = ["accuracy"]
    public var section: TrainSection?
    /// Where the examples come from (default: the embedded digits).
    public var data: DataSource = .digits()
    /// The fraction of examples to train on; the rest is the test split.
    public var split = 0.8
    /// The fraction of all examples held out for validation (from the training part).
    public var validation = 0.0
    /// The seed of the split's shuffle (`data: digits(seed: …)`).
    public var dataSeed = 1
    public var preprocess: [PreprocessStep] = []
    /// Keep only these classes, relabelled 0, 1, … in this order (`data: digits(classes: …)`).
    public var classes: [Int]?
    /// Train on this fraction of the training split (`data: digits(subset: …)`).
    public var subset: Double?
    /// `init:` and `freeze:` (the transfer plugin).
    public var transfer = TransferSettings()

    /// The defaults, for a model without a train section: SGD with learning rate 0.01.
    public init() {
        training = TrainingOptions(optimizer: OptimizerConfig(kind: .sgd, lr: 0.01))
    }

    /// Reads a checked section (the checker has validated kinds and ranges already).
    public init(_ section: TrainSection) {
        self.init()
        self.section = section
        let s = section.settings
        if case .call(let name, let args)? = s["optimizer"], let kind = OptimizerConfig.Kind(rawValue: name) {
            var o = OptimizerConfig(kind: kind, lr: Self.number(args["lr"]) ?? 0.01)
            if let v = Self.number(args["momentum"]) { o.momentum = v }
            if case .value(.bool(let v))? = args["nesterov"] { o.nesterov = v }
            if let v = Self.number(args["beta1"]) { o.beta1 = v }
            if let v = Self.number(args["beta2"]) { o.beta2 = v }
            if let v = Self.number(args["eps"]) { o.eps = v }
            if let v = Self.number(args["alpha"]) { o.alpha = v }
            if let v = Self.number(args["weight_decay"]) { o.weightDecay = v }
            training.optimizer = o
        }
        if let v = Self.number(s["weight_decay"]) { training.optimizer.weightDecay = v }
        if case .value(let v)? = s["loss"] { training.loss = v.stringValue }
        if let v = Self.number(s["l1"]) { training.l1 = v }
        if let v = Self.number(s["l2"]) { training.l2 = v }
        training.clipNorm = Self.number(s["clip_norm"])
        if case .value(.int(let v))? = s["batch"] { batch = v }
        if case .value(.int(let v))? = s["epochs"] { epochs = v }
        if case .value(.int(let v))? = s["steps"] { steps = v }
        if case .value(.int(let v))? = s["seed"] { seed = v }
        if case .call(let name, let args)? = s["data"] { readData(name, args) }
        if let v = Self.number(s["validation"]) { validation = v }
        if case .list(let items)? = s["preprocess"] {
            preprocess = items.compactMap { item in
                guard case .call(let name, let args) = item else { return nil }
                return Self.step(name, args)
            }
        }
        transfer = TransferSettings(s)
        if case .list(let items)? = s["metrics"] {
            metrics = items.compactMap { if case .value(let v) = $0 { v.stringValue } else { nil } }
        }
    }

    mutating func readData(_ name: String, _ args: [String: TrainValue]) {
        func text(_ key: String) -> String? { if case .value(let v)? = args[key] { v.stringValue } else { nil } }
        if let v = Self.number(args["split"]) { split = v }
        if case .value(.int(let v))? = args["seed"] { dataSeed = v }
        if case .list(let items)? = args["classes"] {
            classes = items.compactMap { if case .value(.int(let c)) = $0 { c } else { nil } }
        }
        subset = Self.number(args["subset"])
        switch name {
        case "digits":
            var upscale: Int?
            if case .value(.int(let v))? = args["upscale"] { upscale = v }
            var binarize = false
            if case .value(.bool(let v))? = args["binarize"] { binarize = v }
            data = .digits(upscale: upscale, binarize: binarize)
        case "csv":
            var label = CSVColumn.index(-1)
            if case .value(.int(let i))? = args["label"] { label = .index(i) }
            if case .value(let v)? = args["label"], case .string(let n) = v { label = .name(n) }
            var header: Bool?
            if case .value(.bool(let v))? = args["header"] { header = v }
            data = .csv(path: text("path") ?? "", label: label, header: header)
        case "npy": data = .npy(x: text("x") ?? "", y: text("y") ?? "")
        case "npz": data = .npz(path: text("path") ?? "", x: text("x") ?? "x", y: text("y") ?? "y")
        case "idx": data = .idx(images: text("images") ?? "", labels: text("labels") ?? "")
        default: break
        }
    }

    /// The training options for a model's graph: `freeze:` patterns resolved to its parameters.
    /// - Throws: `DLCError` for a freeze pattern that is invalid or matches nothing.
    public func trainingOptions(for graph: Graph) throws -> TrainingOptions {
        var t = training
        t.frozen = try transfer.frozenParameters(in: graph)
        return t
    }

    static func step(_ name: String, _ args: [String: TrainValue]) -> PreprocessStep? {
        switch name {
        case "standardize": return .standardize
        case "minmax": return .minmax(low: Float(number(args["low"]) ?? 0), high: Float(number(args["high"]) ?? 1))
        case "one_hot": return .oneHot(classes: (number(args["classes"])).map { Int($0) })
        case "upscale": return .upscale(size: Int(number(args["size"]) ?? 8))
        case "binarize": return .binarize(threshold: Float(number(args["threshold"]) ?? 0.5))
        case "flatten": return .flatten
        default: return nil
        }
    }

    /// A numeric setting value (integers widen).
    public static func number(_ v: TrainValue?) -> Double? {
        if case .value(let s)? = v { return s.doubleValue }
        return nil
    }
}
