import DLCCore
import DLCFrontend

/// Command-line overrides of a train section: `--epochs`, `--batch`, `--seed`, `--lr`, and
/// `--set NAME=VALUE` for any setting that takes one value, an optimizer argument or a
/// static argument of the model (what a sweep's trial changes).
public struct TrainOverrides: Sendable {
    public var epochs: Int?
    public var batch: Int?
    public var seed: Int?
    public var lr: Double?
    /// `--set` values in the order given (see `TrainSection.overriding`).
    public var settings: [(name: String, value: StaticValue)] = []

    /// The overrides given, by train-section key (for `settings.json`); `set` holds the
    /// `--set` values as `.dlg` literals.
    public var dictionary: [String: Any] {
        var d: [String: Any] = [:]
        if let epochs { d["epochs"] = epochs }
        if let batch { d["batch"] = batch }
        if let seed { d["seed"] = seed }
        if let lr { d["lr"] = lr }
        if !settings.isEmpty {
            d["set"] = Dictionary(settings.map { ($0.name, $0.value.description) }, uniquingKeysWith: { _, last in last })
        }
        return d
    }

    /// Reads `dictionary` back (a resumed run's overrides).
    public init(dictionary d: [String: Any]) {
        self.init(epochs: d["epochs"] as? Int, batch: d["batch"] as? Int, seed: d["seed"] as? Int, lr: d["lr"] as? Double)
        let set = d["set"] as? [String: String] ?? [:]
        settings = set.keys.sorted().compactMap { k in StaticValue.parseLiteral(set[k]!).map { (k, $0) } }
    }

    public init(epochs: Int? = nil, batch: Int? = nil, seed: Int? = nil, lr: Double? = nil,
                settings: [(name: String, value: StaticValue)] = []) {
        self.epochs = epochs
        self.batch = batch
        self.seed = seed
        self.lr = lr
        self.settings = settings
    }

    /// Reads `NAME=VALUE` (`lr=0.05`, `hidden=64`, `loss="ce"`).
    /// - Throws: `DLCError` when the text is not of that form.
    public static func parseSetting(_ text: String) throws -> (name: String, value: StaticValue) {
        guard let eq = text.firstIndex(of: "=") else { throw DLCError("--set takes NAME=VALUE, found '\(text)'") }
        let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let valueText = String(text[text.index(after: eq)...])
        guard !name.isEmpty else { throw DLCError("--set takes NAME=VALUE, found '\(text)' (no name)") }
        guard let value = StaticValue.parseLiteral(valueText) else {
            throw DLCError("--set \(name): '\(valueText)' is not a value (a number, true, false, a quoted string or a name)")
        }
        return (name, value)
    }
}

extension StaticValue {
    /// The value as JSONSerialization writes it: a number, bool or string (lists as arrays).
    public var jsonValue: Any {
        switch self {
        case .int(let v): v
        case .float(let v): v
        case .bool(let v): v
        case .string(let s), .symbol(let s): s
        case .dtype(let d): d.rawValue
        case .list(let xs): xs.map(\.jsonValue)
        }
    }
}
