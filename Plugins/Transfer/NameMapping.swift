import DLCCore
import Foundation

/// How the names of a weights file become the model's parameter names: first a prefix is
/// stripped (from the names that have it), then each rename rule in order replaces the
/// matches of its regular expression (`$1` in the replacement is the first group).
public struct NameMapping {
    public var stripPrefix: String?
    public var renames: [(pattern: String, replacement: String)]
    let regexes: [NSRegularExpression]

    /// - Throws: `DLCError` for a pattern that is not a valid regular expression.
    public init(stripPrefix: String? = nil, renames: [(pattern: String, replacement: String)] = []) throws {
        self.stripPrefix = stripPrefix
        self.renames = renames
        regexes = try renames.map { r in
            do { return try NSRegularExpression(pattern: r.pattern) } catch {
                throw DLCError("rename pattern '\(r.pattern)' is not a valid regular expression")
            }
        }
    }

    /// The model name a file's tensor name maps to.
    public func map(_ name: String) -> String {
        var n = name
        if let p = stripPrefix, !p.isEmpty, n.hasPrefix(p) { n = String(n.dropFirst(p.count)) }
        for (regex, rule) in zip(regexes, renames) {
            n = regex.stringByReplacingMatches(in: n, range: NSRange(n.startIndex..., in: n), withTemplate: rule.replacement)
        }
        return n
    }

    /// Whether the mapping changes nothing.
    public var isIdentity: Bool { (stripPrefix ?? "").isEmpty && renames.isEmpty }
}
