import DLCCore

/// Turns source bytes into tokens. Comments run from `#` to the end of the line. Newlines
/// end statements except inside `(...)` and `[...]`. Every malformed token is reported and
/// skipped, so the parser always sees a well-formed stream ending in `eof`.
public struct Lexer {
    private let file: SourceFile
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0
    private let diagnostics: DiagnosticEngine

    public init(file: SourceFile, diagnostics: DiagnosticEngine) {
        self.file = file
        self.bytes = file.bytes
        self.diagnostics = diagnostics
    }

    /// All tokens of the file.
    public static func tokenize(_ file: SourceFile, diagnostics: DiagnosticEngine) -> [Token] {
        var lexer = Lexer(file: file, diagnostics: diagnostics)
        var tokens: [Token] = []
        while true {
            let t = lexer.next()
            if case .newline = t.kind, let last = tokens.last, case .newline = last.kind { continue }
            tokens.append(t)
            if case .eof = t.kind { return tokens }
        }
    }

    private func range(_ start: Int) -> SourceRange { SourceRange(file: file, start: start, end: pos) }

    private func peek(_ k: Int = 0) -> UInt8? { pos + k < bytes.count ? bytes[pos + k] : nil }

    private mutating func next() -> Token {
        skipSpaceAndComments()
        let start = pos
        guard let c = peek() else { return Token(.eof, range(start)) }
        if c == UInt8(ascii: "\n") {
            pos += 1
            if depth > 0 { return next() }
            return Token(.newline, range(start))
        }
        if isIdentStart(c) { return identifier() }
        if isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(isDigit) == true) { return number() }
        if c == UInt8(ascii: "\"") { return string() }
        return punctuation()
    }

    private mutating func skipSpaceAndComments() {
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                pos += 1
            } else if c == UInt8(ascii: "#") {
                while let d = peek(), d != UInt8(ascii: "\n") { pos += 1 }
            } else if c == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "\n") {
                pos += 2  // explicit line continuation
            } else {
                return
            }
        }
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
    private func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }

    private mutating func identifier() -> Token {
        let start = pos
        while let c = peek(), isIdentChar(c) { pos += 1 }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if let k = Keyword(rawValue: text) { return Token(.keyword(k), range(start)) }
        return Token(.identifier(text), range(start))
    }

    private mutating func number() -> Token {
        let start = pos
        var isFloat = false
        while let c = peek(), isDigit(c) || c == UInt8(ascii: "_") { pos += 1 }
        if peek() == UInt8(ascii: "."), peek(1).map(isDigit) == true || !(peek(1).map(isIdentStart) ?? false) {
            isFloat = true
            pos += 1
            while let c = peek(), isDigit(c) || c == UInt8(ascii: "_") { pos += 1 }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            let save = pos
            pos += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { pos += 1 }
            if let d = peek(), isDigit(d) {
                isFloat = true
                while let c = peek(), isDigit(c) { pos += 1 }
            } else {
                pos = save
            }
        }
        // A letter glued to a number (`3x`, `1e`) is a typo, not two tokens.
        if let c = peek(), isIdentStart(c) {
            while let c = peek(), isIdentChar(c) { pos += 1 }
            diagnostics.error("invalid number literal '\(file.text(of: range(start)))'", at: range(start))
            return Token(.invalid, range(start))
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self).replacingOccurrences("_", "")
        if isFloat {
            guard let v = Double(text), v.isFinite else {
                diagnostics.error("number literal '\(text)' is out of range", at: range(start))
                return Token(.invalid, range(start))
            }
            return Token(.float(v), range(start))
        }
        guard let v = Int(text) else {
            diagnostics.error("integer literal '\(text)' is too large (the limit is \(Int.max))", at: range(start))
            return Token(.invalid, range(start))
        }
        return Token(.int(v), range(start))
    }

    private mutating func string() -> Token {
        let start = pos
        pos += 1
        var out: [UInt8] = []
        while let c = peek() {
            if c == UInt8(ascii: "\"") {
                pos += 1
                return Token(.string(String(decoding: out, as: UTF8.self)), range(start))
            }
            if c == UInt8(ascii: "\n") { break }
            if c == UInt8(ascii: "\\"), let e = peek(1) {
                pos += 2
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): out.append(e)
                default:
                    diagnostics.error("unknown escape sequence '\\\(Character(UnicodeScalar(e)))' in string",
                                      at: SourceRange(file: file, start: pos - 2, end: pos))
                }
                continue
            }
            out.append(c)
            pos += 1
        }
        diagnostics.error("unterminated string literal", at: SourceRange(file: file, start: start, end: start + 1))
        return Token(.invalid, range(start))
    }

    private mutating func punctuation() -> Token {
        let start = pos
        // Longest match first: two-character operators before one-character ones.
        for p in Punct.allCases.sorted(by: { $0.rawValue.utf8.count > $1.rawValue.utf8.count }) {
            let u = Array(p.rawValue.utf8)
            if pos + u.count <= bytes.count, Array(bytes[pos..<pos + u.count]) == u {
                pos += u.count
                switch p {
                case .lparen, .lbracket: depth += 1
                case .rparen, .rbracket: depth = max(0, depth - 1)
                case .lbrace, .rbrace: depth = 0  // a brace always re-synchronizes statement structure
                default: break
                }
                return Token(.punct(p), range(start))
            }
        }
        // An unknown character: report it once, with the whole run of such bytes underlined.
        let c = bytes[pos]
        pos += 1
        if c >= 0x80 { while let d = peek(), d >= 0x80, d < 0xC0 { pos += 1 } }
        let text = file.text(of: range(start))
        let hex = String(c, radix: 16, uppercase: true)
        let shown = c < 0x20 || c == 0x7F ? "byte 0x" + (hex.count < 2 ? "0" : "") + hex : "'\(text)'"
        diagnostics.error("unexpected character \(shown)", at: range(start))
        return Token(.invalid, range(start))
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: Character, _ b: String) -> String {
        String(filter { $0 != a })
    }
}
