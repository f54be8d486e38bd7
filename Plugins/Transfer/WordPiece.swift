import DLCCore
import Foundation

/// BERT's WordPiece tokenizer (uncased), as Hugging Face's `BertTokenizer` with
/// `do_lower_case`: clean the text (control characters dropped, whitespace normalized),
/// put spaces around CJK ideographs, split on whitespace, lowercase and strip accents,
/// split off punctuation, then cut each word greedily into the longest pieces of the
/// vocabulary (continuations prefixed `##`); a word that cannot be cut, or is longer than
/// 100 characters, becomes `[UNK]`.
public struct WordPiece {
    public let vocabulary: [String: Int32]
    public let unknown: Int32, classifier: Int32, separator: Int32, padding: Int32

    /// - Parameter vocab: the lines of `vocab.txt`, one token per line, the line number its id.
    /// - Throws: `DLCError` when the vocabulary lacks `[UNK]`, `[CLS]`, `[SEP]` or `[PAD]`.
    public init(vocab lines: [String], source: String = "vocab.txt") throws {
        var v: [String: Int32] = [:]
        for (i, line) in lines.enumerated() where v[line] == nil { v[line] = Int32(i) }
        func special(_ t: String) throws -> Int32 {
            guard let id = v[t] else { throw DLCError("\(source): the vocabulary has no \(t) token") }
            return id
        }
        vocabulary = v
        unknown = try special("[UNK]")
        classifier = try special("[CLS]")
        separator = try special("[SEP]")
        padding = try special("[PAD]")
    }

    /// Reads `vocab.txt`.
    public init(vocabFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw DLCError("\(path): cannot read the vocabulary") }
        guard let text = String(data: data, encoding: .utf8) else { throw DLCError("\(path): the vocabulary is not UTF-8 text") }
        var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        if lines.last == "" { lines.removeLast() }
        try self.init(vocab: lines, source: path)
    }

    /// The word pieces of a text (without `[CLS]`/`[SEP]`).
    public func pieces(_ text: String) -> [String] {
        basicTokens(text).flatMap(wordPieces)
    }

    /// The ids of `[CLS] pieces [SEP]`, cut to `length` (keeping the final `[SEP]`) and
    /// padded with `[PAD]`, and the mask (1 for tokens, 0 for padding).
    public func encode(_ text: String, length: Int) -> (ids: [Int32], mask: [Float]) {
        var ids = [classifier] + pieces(text).map { vocabulary[$0] ?? unknown }
        ids = Array(ids.prefix(max(1, length - 1))) + [separator]
        let n = min(ids.count, length)
        return (Array(ids.prefix(n)) + Array(repeating: padding, count: length - n),
                Array(repeating: 1, count: n) + Array(repeating: 0, count: length - n))
    }

    /// Cleaning, CJK spacing, whitespace split, lowercasing, accent stripping, punctuation split.
    func basicTokens(_ text: String) -> [String] {
        var spaced = ""
        for u in text.unicodeScalars {
            if u.value == 0 || u.value == 0xFFFD || (Self.isControl(u)) { continue }
            if Self.isWhitespace(u) { spaced.append(" "); continue }
            if Self.isCJK(u) { spaced += " \(Character(u)) "; continue }
            spaced.unicodeScalars.append(u)
        }
        var tokens: [String] = []
        for word in spaced.split(separator: " ") {
            let lowered = String(word).lowercased().decomposedStringWithCanonicalMapping
            var current = ""
            for u in lowered.unicodeScalars where u.properties.generalCategory != .nonspacingMark {
                if Self.isPunctuation(u) {
                    if !current.isEmpty { tokens.append(current); current = "" }
                    tokens.append(String(Character(u)))
                } else {
                    current.unicodeScalars.append(u)
                }
            }
            if !current.isEmpty { tokens.append(current) }
        }
        return tokens
    }

    /// Greedy longest-match-first pieces of one word.
    func wordPieces(_ word: String) -> [String] {
        let chars = Array(word.unicodeScalars)
        guard chars.count <= 100 else { return ["[UNK]"] }
        var out: [String] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: String?
            while start < end {
                var piece = String(String.UnicodeScalarView(chars[start..<end]))
                if start > 0 { piece = "##" + piece }
                if vocabulary[piece] != nil { found = piece; break }
                end -= 1
            }
            guard let piece = found else { return ["[UNK]"] }
            out.append(piece)
            start = end
        }
        return out
    }

    static func isWhitespace(_ u: Unicode.Scalar) -> Bool {
        u == " " || u == "\t" || u == "\n" || u == "\r" || u.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        if u == "\t" || u == "\n" || u == "\r" { return false }
        switch u.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned: return true
        default: return false
        }
    }

    static func isPunctuation(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch u.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func isCJK(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
