import DLCCore

/// Recursive-descent parser for `.dlg` files. It reports every syntax error it meets and
/// recovers at the next statement boundary (end of line or closing brace), so one run lists
/// all the errors of a file. Nesting is bounded, so no input can exhaust the stack.
public struct Parser {
    var tokens: [Token]
    var pos = 0
    let file: SourceFile
    let diagnostics: DiagnosticEngine
    var depth = 0
    static let maxDepth = 128
    /// Set once a statement has an error: what follows in it is noise, not news.
    var statementHasError = false

    /// Parses a whole file.
    public static func parse(_ file: SourceFile, diagnostics: DiagnosticEngine) -> SourceUnit {
        var p = Parser(tokens: Lexer.tokenize(file, diagnostics: diagnostics), file: file, diagnostics: diagnostics)
        return p.parseUnit()
    }

    init(tokens: [Token], file: SourceFile, diagnostics: DiagnosticEngine) {
        self.tokens = tokens
        self.file = file
        self.diagnostics = diagnostics
    }

    // MARK: token helpers

    var current: Token { tokens[pos] }
    var kind: TokenKind { tokens[pos].kind }
    func peekKind(_ k: Int = 1) -> TokenKind { tokens[min(pos + k, tokens.count - 1)].kind }
    var atEOF: Bool { if case .eof = kind { true } else { false } }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[pos]
        if case .invalid = t.kind { statementHasError = true }  // the lexer has reported it
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    func check(_ p: Punct) -> Bool { kind == .punct(p) }
    func check(_ k: Keyword) -> Bool { kind == .keyword(k) }

    mutating func accept(_ p: Punct) -> Bool {
        if check(p) { advance(); return true }
        return false
    }

    mutating func accept(_ k: Keyword) -> Bool {
        if check(k) { advance(); return true }
        return false
    }

    mutating func skipNewlines() {
        while kind == .newline || kind == .punct(.semicolon) { advance() }
    }

    /// Reports "expected X, found Y", once per statement. When the token found starts a later
    /// line than the previous one, the missing piece belongs at the end of that earlier line,
    /// so that is where the error points.
    mutating func expected(_ what: String, notes: [Diagnostic] = []) {
        if case .invalid = kind { statementHasError = true }
        guard !statementHasError else { return }
        statementHasError = true
        var place = current.range
        if pos > 0, let f = place.file, case let prev = tokens[pos - 1].range,
           f.lineAndColumn(of: prev.end).line < f.lineAndColumn(of: place.start).line {
            place = SourceRange(file: f, start: prev.end, end: prev.end)
        }
        diagnostics.error("expected \(what), found \(kind.display)", at: place, notes: notes)
    }

    /// Consumes the given punctuation or reports it missing, with a note at the bracket it
    /// would close.
    @discardableResult
    mutating func expect(_ p: Punct, _ context: String = "", opening: SourceRange? = nil) -> Bool {
        if accept(p) { return true }
        let notes = opening.map { [Diagnostic.note("to match this '\(file.text(of: $0))'", at: $0)] } ?? []
        expected("'\(p.rawValue)'" + (context.isEmpty ? "" : " \(context)"), notes: notes)
        return false
    }

    mutating func identifier(_ what: String) -> (String, SourceRange)? {
        if case .identifier(let s) = kind {
            let t = advance()
            return (s, t.range)
        }
        if case .keyword(let k) = kind {
            if !statementHasError {
                diagnostics.error("'\(k.rawValue)' is a reserved word and cannot be used as \(what)", at: current.range)
            }
            statementHasError = true
            let t = advance()
            return (k.rawValue, t.range)
        }
        expected(what)
        return nil
    }

    /// Skips to the end of the current statement: a newline or `;` at this nesting level,
    /// or just before a `}` that closes the enclosing body. Always makes progress.
    mutating func recoverToStatementEnd() {
        var braces = 0
        let start = pos
        while !atEOF {
            switch kind {
            case .newline, .punct(.semicolon):
                if braces == 0 { advance(); return }
            case .punct(.lbrace): braces += 1
            case .punct(.rbrace):
                if braces == 0 {
                    if pos == start { advance() }
                    return
                }
                braces -= 1
            default: break
            }
            advance()
        }
    }

    /// The end of a statement: a newline, `;`, a closing brace or the end of the file.
    mutating func endStatement() {
        switch kind {
        case .newline, .punct(.semicolon): skipNewlines()
        case .punct(.rbrace), .eof: break
        default:
            expected("end of line")
            recoverToStatementEnd()
        }
    }

    func range(from start: SourceRange) -> SourceRange {
        let prev = tokens[max(0, pos - 1)]
        return SourceRange(file: file, start: start.start, end: max(start.end, prev.range.end))
    }
}
