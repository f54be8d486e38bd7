import DLCCore

/// What a swept (or `dlc train --set`) name changes.
public enum SweepTarget: Equatable {
    /// A train setting of the section (`batch`, `epochs`, `l2`, …).
    case setting(String)
    /// An argument of the section's optimizer (`lr`, `momentum`, …).
    case optimizerArgument(String)
    /// A static argument of the model (`model MLP(hidden: Int = 128)`).
    case modelArgument(String)
}

/// The values a swept name takes.
public enum SweepDomain: Equatable {
    /// These values (`[0.1, 0.01]`): a grid takes each, a random search one at random.
    case values([StaticValue])
    /// A number drawn uniformly from [low, high) (random searches only).
    case uniform(Double, Double)
    /// A number whose logarithm is drawn uniformly from [log low, log high) (random searches only).
    case logUniform(Double, Double)
    /// The integers low, low + step, … up to high (inclusive).
    case intRange(Int, Int, step: Int)

    /// The values a grid visits (nil for the continuous ranges).
    public var gridValues: [StaticValue]? {
        switch self {
        case .values(let v): v
        case .intRange(let lo, let hi, let step): stride(from: lo, through: hi, by: step).map { .int($0) }
        case .uniform, .logUniform: nil
        }
    }
}

/// One swept name of a `sweep:` setting.
public struct SweepParameter {
    public var name: String
    public var target: SweepTarget
    public var domain: SweepDomain
    /// Where the name is written in the source.
    public var range: SourceRange

    public init(name: String, target: SweepTarget, domain: SweepDomain, range: SourceRange = .unknown) {
        self.name = name
        self.target = target
        self.domain = domain
        self.range = range
    }
}

/// A checked `sweep:` setting: `grid(metric: …, lr: [..], hidden: [..])` or
/// `random(trials: N, seed: S, metric: …, lr: loguniform(1e-3, 0.3), …)`.
public struct SweepSpec {
    public enum Kind: String { case grid, random }
    public var kind: Kind
    /// Trials of a random search (nil for a grid: the product of the value counts).
    public var trials: Int?
    /// The seed of a random search's draws (default 0).
    public var seed: Int
    /// What ranks the trials: `val_<metric>`, `test_<metric>` or `train_loss`.
    public var metric: String
    /// Whether a larger `metric` is better (accuracy, F1, …) or a smaller one (losses, errors).
    public var maximize: Bool
    /// The swept names, in the order they are written.
    public var parameters: [SweepParameter]

    public init(kind: Kind, trials: Int?, seed: Int, metric: String, maximize: Bool, parameters: [SweepParameter]) {
        self.kind = kind
        self.trials = trials
        self.seed = seed
        self.metric = metric
        self.maximize = maximize
        self.parameters = parameters
    }

    /// Whether a larger value of `metric` is better: not for losses and errors.
    public static func higherIsBetter(_ metric: String) -> Bool {
        !["loss", "log_loss", "mse", "mae"].contains(where: { metric == $0 || metric.hasSuffix("_" + $0) })
    }
}

extension TrainSection {
    /// What a name set by a sweep or `--set` changes in this section: a train setting that
    /// takes one value (a number, integer, bool or loss name), an argument of the section's
    /// optimizer, or a static argument of the model; nil when it is none of them.
    /// - Throws: `DLCError` when the name is both a setting and a static argument.
    public func target(of name: String) throws -> SweepTarget? {
        let isSetting = TrainSchema.sweepableKeys.contains(name)
        let optimizer = optimizerSchema
        let isOptimizerArgument = optimizer.args.contains { $0.name == name }
        let isModelArgument = staticArguments.contains { $0.name == name }
        if isModelArgument && (isSetting || isOptimizerArgument) {
            throw DLCError("'\(name)' is both a train setting and a static argument of model '\(model ?? name)'; rename the argument")
        }
        if isSetting { return .setting(name) }
        if isOptimizerArgument { return .optimizerArgument(name) }
        if isModelArgument { return .modelArgument(name) }
        return nil
    }

    /// The names a sweep may set in this section (for "did you mean" and error messages).
    public var sweepableNames: [String] {
        TrainSchema.sweepableKeys + optimizerSchema.args.map(\.name).filter { !TrainSchema.sweepableKeys.contains($0) }
            + staticArguments.map(\.name)
    }

    /// The schema of the section's optimizer (SGD when it names none).
    var optimizerSchema: CallSchema {
        let name: String
        if case .call(let n, _)? = settings["optimizer"] { name = n } else { name = "sgd" }
        return TrainSchema.optimizers.first { $0.name == name } ?? TrainSchema.optimizers[0]
    }

    /// The section with `values` set (a sweep's trial, `dlc train --set`), and the values of
    /// the model's static arguments among them (to compile the model with).
    /// - Throws: `DLCError` naming the first name that is not a setting, an optimizer
    ///   argument or a static argument, or a value the setting does not accept.
    public func overriding(_ values: [(name: String, value: StaticValue)]) throws -> (section: TrainSection, modelArguments: [String: StaticValue]) {
        var s = self
        var arguments: [String: StaticValue] = [:]
        for (name, value) in values {
            guard let target = try target(of: name) else {
                let hint = closestName(to: name, among: sweepableNames).map { "; did you mean '\($0)'?" } ?? ""
                throw DLCError("'\(name)' is neither a train setting nor a static argument of model '\(model ?? "?")'\(hint)")
            }
            switch target {
            case .setting(let key):
                let kind = TrainSchema.keys.first { $0.0 == key }!.1
                if let problem = TrainSchema.problem(with: value, kind) { throw DLCError("'\(name)' \(problem)") }
                s.settings[key] = .value(value)
            case .optimizerArgument(let arg):
                let schema = optimizerSchema
                let kind = schema.args.first { $0.name == arg }!.kind
                if let problem = TrainSchema.problem(with: value, kind) { throw DLCError("'\(name)' \(problem)") }
                var args: [String: TrainValue] = [:]
                if case .call(_, let a)? = s.settings["optimizer"] { args = a }
                args[arg] = .value(value)
                s.settings["optimizer"] = .call(schema.name, args)
            case .modelArgument(let arg):
                arguments[arg] = value
            }
        }
        return (s, arguments)
    }
}

extension TrainSchema {
    /// The train settings a sweep may vary: those that take one number, integer, bool or name.
    static let sweepableKeys: [String] = keys.compactMap { key, kind in
        switch kind {
        case .int, .number, .bool, .lossName: key == "steps" ? nil : key
        default: nil
        }
    }

    /// Why `value` does not fit a scalar setting kind ("must be an integer, found 0.5"), or nil.
    static func problem(with value: StaticValue, _ kind: SettingKind) -> String? {
        switch kind {
        case .int(let min):
            guard case .int(let i) = value else { return "must be an integer, found \(value)" }
            return i >= min ? nil : "must be at least \(min), found \(i)"
        case .number(let lo, let hi, let incLo, let incHi):
            guard let d = value.doubleValue, value.isNumber else { return "must be a number, found \(value)" }
            let okLo = incLo ? d >= lo : d > lo, okHi = incHi ? d <= hi : d < hi
            if okLo && okHi { return nil }
            let l = incLo ? "[" : "(", r = incHi ? "]" : ")"
            let interval = "\(l)\(StaticValue.format(lo)), \(StaticValue.format(hi))\(r)"
                .replacing("inf]", with: "∞)").replacing("[-inf", with: "(-∞")
            return "must be a number in \(interval), found \(value)"
        case .bool:
            if case .bool = value { return nil }
            return "must be true or false, found \(value)"
        case .lossName, .string, .name:
            return value.stringValue == nil ? "must be a name, found \(value)" : nil
        default:
            return nil
        }
    }
}

extension StaticValue {
    /// Whether the value is an integer or a floating-point number.
    var isNumber: Bool {
        switch self {
        case .int, .float: true
        default: false
        }
    }

    /// Reads a value written as in a `.dlg` file: an integer, a number (`0.1`, `1e-3`),
    /// `true`/`false`, a quoted string or a bare name (a symbol).
    public static func parseLiteral(_ text: String) -> StaticValue? {
        let t = text.trimmingCharacters(in: " \t")
        if t.isEmpty { return nil }
        if let i = Int(t) { return .int(i) }
        if let d = Double(t), t.contains(where: { ".eE".contains($0) }), d.isFinite { return .float(d) }
        if t == "true" { return .bool(true) }
        if t == "false" { return .bool(false) }
        if t.count >= 2, t.hasPrefix("\""), t.hasSuffix("\"") { return .string(String(t.dropFirst().dropLast())) }
        if let first = t.first, first.isLetter || first == "_", t.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            return .symbol(t)
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
