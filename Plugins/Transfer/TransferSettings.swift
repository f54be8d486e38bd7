import DLCCore
import DLCFrontend
import Foundation

/// The transfer settings of a train section: `init: load(path:, strip_prefix:, rename:,
/// strict:)` and `freeze: [patterns]`, as written (checked when used).
public struct TransferSettings: Sendable {
    /// `init: load(...)`.
    public struct WeightInit: Sendable {
        /// The weights file or run directory, relative to the `.dlg` file unless absolute.
        public var path: String
        public var stripPrefix: String?
        /// `[PATTERN, REPLACEMENT]` pairs as written (validated by `mapping()`).
        public var renames: [[String]]
        /// Refuse any missing, unexpected or mismatched tensor (the default).
        public var strict: Bool

        public init(path: String, stripPrefix: String? = nil, renames: [[String]] = [], strict: Bool = true) {
            self.path = path
            self.stripPrefix = stripPrefix
            self.renames = renames
            self.strict = strict
        }

        /// The name mapping.
        /// - Throws: `DLCError` for a rule that is not a pair or an invalid regular expression.
        public func mapping() throws -> NameMapping {
            var rules: [(pattern: String, replacement: String)] = []
            for (i, r) in renames.enumerated() {
                guard r.count == 2 else {
                    throw DLCError("init: rename rule \(i + 1) must be a pair [\"PATTERN\", \"REPLACEMENT\"], found \(r.count) string\(r.count == 1 ? "" : "s")")
                }
                rules.append((r[0], r[1]))
            }
            do { return try NameMapping(stripPrefix: stripPrefix, renames: rules) } catch let e as DLCError {
                throw DLCError("init: " + e.message)
            }
        }

        /// `a/./b/../c` → `a/c` (a `..` after a name cancels it; leading ones stay), for display.
        static func normalized(_ path: String) -> String {
            var parts: [Substring] = []
            for p in path.split(separator: "/", omittingEmptySubsequences: true) where p != "." {
                if p == "..", let last = parts.last, last != ".." { parts.removeLast() } else { parts.append(p) }
            }
            let joined = parts.joined(separator: "/")
            return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
        }

        /// Reads the file and matches it against `parameters`.
        /// - Throws: `DLCError` for an unreadable file, a bad mapping, nothing matched, or (in
        ///   strict mode) any problem — the message is the whole report.
        public func load(into parameters: [WeightLoadReport.Parameter], relativeTo directory: String?) throws -> WeightLoadReport {
            let mapping = try mapping()
            let joined = path.hasPrefix("/") || directory == nil ? path : directory! + "/" + path
            var file: WeightFile
            do { file = try WeightFile.read(joined) } catch let e as DLCError { throw DLCError("init: " + e.message) }
            file.path = Self.normalized(file.path)  // shown in the report: models/../out/w → out/w
            let report = WeightLoadReport(file: file, mapping: mapping, parameters: parameters)
            if strict && report.problemCount > 0 {
                throw DLCError("init: strict loading found \(report.problemCount) problem\(report.problemCount == 1 ? "" : "s") (give strict: false to load what matches)\n" + report.render())
            }
            if report.matched.isEmpty {
                throw DLCError("init: no tensor of the file matches a parameter of the model" + (mapping.isIdentity ? " (map names with strip_prefix: or rename:)" : "") + "\n" + report.render())
            }
            return report
        }
    }

    public var weights: WeightInit?
    /// `freeze:` patterns (see `ParameterPatterns`).
    public var freeze: [String] = []

    public init() {}

    /// Reads the settings of a checked train section (kinds already checked).
    public init(_ settings: [String: TrainValue]) {
        if case .call("load", let args)? = settings["init"] {
            func text(_ key: String) -> String? { if case .value(let v)? = args[key] { v.stringValue } else { nil } }
            var renames: [[String]] = []
            if case .list(let rules)? = args["rename"] {
                renames = rules.map { rule in
                    guard case .list(let parts) = rule else { return [] }
                    return parts.compactMap { if case .value(let v) = $0 { v.stringValue } else { nil } }
                }
            }
            var strict = true
            if case .value(.bool(let b))? = args["strict"] { strict = b }
            weights = WeightInit(path: text("path") ?? "", stripPrefix: text("strip_prefix"), renames: renames, strict: strict)
        }
        if case .list(let items)? = settings["freeze"] {
            freeze = items.compactMap { if case .value(let v) = $0 { v.stringValue } else { nil } }
        }
    }

    /// The parameters of a model, for matching a weights file against.
    public static func parameters(of graph: Graph) -> [WeightLoadReport.Parameter] {
        graph.paramNodes.compactMap { node in
            guard let name = node.attributes["name"]?.stringValue else { return nil }
            let type = graph[node.outputs[0]].type
            return WeightLoadReport.Parameter(name: name, shape: type.shape.map { $0.value ?? 0 }, dtype: type.dtype)
        }
    }

    /// The trainable parameters of `graph` that `freeze:` names.
    /// - Throws: `DLCError` for an invalid pattern or one that matches no trainable parameter.
    public func frozenParameters(in graph: Graph) throws -> Set<String> {
        guard !freeze.isEmpty else { return [] }
        let names = graph.paramNodes.filter { $0.attributes["trainable"] != .bool(false) }
            .compactMap { $0.attributes["name"]?.stringValue }
        return try ParameterPatterns(freeze).select(from: names, setting: "freeze")
    }
}
