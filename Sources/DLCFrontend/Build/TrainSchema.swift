import DLCCore

/// A checked setting value of a train section.
public indirect enum TrainValue: Equatable, CustomStringConvertible {
    case value(StaticValue)
    case call(String, [String: TrainValue])
    case list([TrainValue])

    public var description: String {
        switch self {
        case .value(let v): v.description
        case .call(let n, let args): n + "(" + args.keys.sorted().map { "\($0): \(args[$0]!)" }.joined(separator: ", ") + ")"
        case .list(let xs): "[" + xs.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// What a value in a train section must be.
indirect enum SettingKind {
    case int(min: Int)
    case number(min: Double, max: Double, inclusiveMin: Bool, inclusiveMax: Bool)
    case bool
    case string
    case name(of: String, [String])
    case anyValue
    case call(of: String, [CallSchema])
    case list(SettingKind)
    case lossName
    case stepNames
}

/// The arguments a setting call accepts (`sgd(lr:, momentum:)`).
struct CallSchema {
    let name: String
    let args: [(name: String, kind: SettingKind, required: Bool)]
    /// Accept any further named arguments with any value (sweeps over arbitrary settings).
    var open = false
}

/// The settings a train section accepts, with their kinds. This is the reference table of
/// docs/language.md.
enum TrainSchema {
    static let positive = SettingKind.number(min: 0, max: .infinity, inclusiveMin: false, inclusiveMax: true)
    static let nonNegative = SettingKind.number(min: 0, max: .infinity, inclusiveMin: true, inclusiveMax: true)
    static let fraction = SettingKind.number(min: 0, max: 1, inclusiveMin: false, inclusiveMax: false)
    static let unitInterval = SettingKind.number(min: 0, max: 1, inclusiveMin: true, inclusiveMax: false)
    static let anyNumber = SettingKind.number(min: -.infinity, max: .infinity, inclusiveMin: true, inclusiveMax: true)

    /// Arguments every data source takes: which classes to keep (relabelled 0, 1, … in the
    /// order given) and the fraction of the training split to train on.
    static let selection: [(name: String, kind: SettingKind, required: Bool)] = [
        ("classes", .list(.int(min: 0)), false), ("subset", .number(min: 0, max: 1, inclusiveMin: false, inclusiveMax: true), false),
    ]

    static let data: [CallSchema] = [
        CallSchema(name: "digits", args: [("split", fraction, false), ("seed", .int(min: Int.min), false),
                                          ("upscale", .int(min: 8), false), ("binarize", .bool, false)] + selection),
        CallSchema(name: "csv", args: [("path", .string, true), ("label", .anyValue, false), ("header", .bool, false),
                                       ("split", fraction, false), ("seed", .int(min: Int.min), false)] + selection),
        CallSchema(name: "npy", args: [("x", .string, true), ("y", .string, true), ("split", fraction, false),
                                       ("seed", .int(min: Int.min), false)] + selection),
        CallSchema(name: "npz", args: [("path", .string, true), ("x", .string, false), ("y", .string, false),
                                       ("split", fraction, false), ("seed", .int(min: Int.min), false)] + selection),
        CallSchema(name: "idx", args: [("images", .string, true), ("labels", .string, true), ("split", fraction, false),
                                       ("seed", .int(min: Int.min), false)] + selection),
    ]

    /// `init: load(...)` of the transfer plugin.
    static let weightSources: [CallSchema] = [
        CallSchema(name: "load", args: [("path", .string, true), ("strip_prefix", .string, false),
                                        ("rename", .list(.list(.string)), false), ("strict", .bool, false)]),
    ]

    /// Settings a plugin provides: they need `use PLUGIN` in the file.
    static let pluginOfKey = ["init": "transfer", "freeze": "transfer"]

    static let optimizers: [CallSchema] = {
        let decay = ("weight_decay", nonNegative, false)
        return [
            CallSchema(name: "sgd", args: [("lr", positive, true), ("momentum", unitInterval, false), ("nesterov", .bool, false), decay]),
            CallSchema(name: "adam", args: [("lr", positive, true), ("beta1", unitInterval, false), ("beta2", unitInterval, false),
                                            ("eps", positive, false), decay]),
            CallSchema(name: "adamw", args: [("lr", positive, true), ("beta1", unitInterval, false), ("beta2", unitInterval, false),
                                             ("eps", positive, false), decay]),
            CallSchema(name: "adagrad", args: [("lr", positive, true), ("eps", positive, false), decay]),
            CallSchema(name: "rmsprop", args: [("lr", positive, true), ("alpha", unitInterval, false), ("eps", positive, false),
                                               ("momentum", unitInterval, false), decay]),
        ]
    }()

    static let schedules: [CallSchema] = [
        CallSchema(name: "step", args: [("every", .int(min: 1), true), ("gamma", positive, false)]),
        CallSchema(name: "exponential", args: [("gamma", positive, true)]),
        CallSchema(name: "cosine", args: [("steps", .int(min: 1), false), ("min_lr", nonNegative, false)]),
        CallSchema(name: "warmup", args: [("steps", .int(min: 1), true)]),
    ]

    static let preprocessing: [CallSchema] = [
        CallSchema(name: "standardize", args: []),
        CallSchema(name: "minmax", args: [("low", anyNumber, false), ("high", anyNumber, false)]),
        CallSchema(name: "one_hot", args: [("classes", .int(min: 2), false)]),
        CallSchema(name: "upscale", args: [("size", .int(min: 1), true)]),
        CallSchema(name: "binarize", args: [("threshold", anyNumber, false)]),
        CallSchema(name: "flatten", args: []),
    ]

    static let metrics = ["accuracy", "precision", "recall", "f1", "auc", "roc_auc", "log_loss", "confusion", "mse", "mae", "r2"]

    static let sweeps: [CallSchema] = [
        CallSchema(name: "grid", args: [("metric", .anyValue, false)], open: true),
        CallSchema(name: "random", args: [("trials", .int(min: 1), true), ("seed", .int(min: Int.min), false),
                                          ("metric", .anyValue, false)], open: true),
    ]

    static let sampleGrids: [CallSchema] = [
        CallSchema(name: "grid", args: [("of", .string, false), ("show", .string, false), ("from", .string, false),
                                        ("rows", .int(min: 1), false), ("every", .int(min: 1), false),
                                        ("scale", .int(min: 1), false), ("seed", .int(min: Int.min), false)]),
    ]

    static let keys: [(String, SettingKind)] = [
        ("data", .call(of: "data source", data)),
        ("optimizer", .call(of: "optimizer", optimizers)),
        ("batch", .int(min: 1)),
        ("epochs", .int(min: 1)),
        ("steps", .int(min: 1)),
        ("seed", .int(min: Int.min)),
        ("loss", .lossName),
        ("metrics", .list(.name(of: "metric", metrics))),
        ("lr_schedule", .call(of: "learning-rate schedule", schedules)),
        ("clip_norm", positive),
        ("l1", nonNegative),
        ("l2", nonNegative),
        ("weight_decay", nonNegative),
        ("early_stopping", .int(min: 1)),
        ("validation", fraction),
        ("checkpoint_every", .int(min: 1)),
        ("preprocess", .list(.call(of: "preprocessing step", preprocessing))),
        ("sweep", .call(of: "search", sweeps)),
        ("schedule", .stepNames),
        ("init", .call(of: "weights source", weightSources)),
        ("freeze", .list(.string)),
        ("samples", .call(of: "sample grid", sampleGrids)),
        ("phases", .list(.call(of: "phase", [CallSchema(name: "phase", args: [("schedule", .stepNames, true),
                                                                                 ("epochs", .int(min: 1), true)])]))),
    ]
}
