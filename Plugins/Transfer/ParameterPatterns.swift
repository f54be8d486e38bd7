import DLCCore
import Foundation

/// Parameter-name patterns: a glob (`*` any run of characters, dots included; `?` one
/// character; the whole name must match, so `conv*` is every name starting with `conv`), or a
/// regular expression when written `re:PATTERN` (searched anywhere in the name; anchor it
/// with `^`/`$`).
public struct ParameterPatterns {
    public let patterns: [String]

    public init(_ patterns: [String]) { self.patterns = patterns }

    /// The names matched by any pattern.
    /// - Throws: `DLCError` for an invalid regular expression, or a pattern that matches no
    ///   name (each is reported, with the names there are).
    public func select(from names: [String], setting: String) throws -> Set<String> {
        var selected = Set<String>()
        var unmatched: [String] = []
        for p in patterns {
            let regex: NSRegularExpression
            do { regex = try NSRegularExpression(pattern: Self.regexSource(p)) } catch {
                throw DLCError("\(setting): '\(p)' is not a valid regular expression")
            }
            let hits = names.filter { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
            if hits.isEmpty { unmatched.append(p) }
            selected.formUnion(hits)
        }
        guard unmatched.isEmpty else {
            let list = names.sorted().prefix(20).joined(separator: ", ") + (names.count > 20 ? ", …" : "")
            throw DLCError("\(setting): \(unmatched.map { "'\($0)'" }.joined(separator: ", ")) match\(unmatched.count == 1 ? "es" : "") no trainable parameter (parameters: \(list))")
        }
        return selected
    }

    /// The regular expression of a pattern: `re:` patterns as written, globs anchored.
    static func regexSource(_ p: String) -> String {
        if p.hasPrefix("re:") { return String(p.dropFirst(3)) }
        var out = "^"
        for c in p {
            switch c {
            case "*": out += ".*"
            case "?": out += "."
            default: out += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        return out + "$"
    }
}
