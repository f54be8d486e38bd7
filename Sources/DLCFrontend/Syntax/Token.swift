import DLCCore

/// The kinds of tokens of the `.dlg` language.
public enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case keyword(Keyword)
    case int(Int)
    case float(Double)
    case string(String)
    case punct(Punct)
    /// End of a logical line (not emitted inside parentheses or brackets).
    case newline
    case eof
    /// Bytes that form no token; the lexer has already reported them.
    case invalid

    /// How the token is named in "expected X, found Y" messages.
    public var display: String {
        switch self {
        case .identifier(let s): "'\(s)'"
        case .keyword(let k): "'\(k.rawValue)'"
        case .int(let v): "'\(v)'"
        case .float(let v): "'\(StaticValue.format(v))'"
        case .string: "a string"
        case .punct(let p): "'\(p.rawValue)'"
        case .newline: "end of line"
        case .eof: "end of file"
        case .invalid: "an invalid character"
        }
    }
}

/// Reserved words. (`step`, `minimize` and `over` are words of train sections only, read
/// in context, so they stay free as names elsewhere: `lr_schedule: step(every: 5)`.)
public enum Keyword: String, CaseIterable, Sendable {
    case model, block, train, use, input, output, param, loss, `return`, `repeat`, `if`, `else`, `as`
    case `true`, `false`, none, and, or, not
}

/// Punctuation and operators.
public enum Punct: String, CaseIterable, Sendable {
    case lparen = "(", rparen = ")", lbrace = "{", rbrace = "}", lbracket = "[", rbracket = "]"
    case comma = ",", colon = ":", semicolon = ";", dot = "."
    case assign = "=", pipe = "|>", arrow = "->"
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%", at = "@"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
}

/// A token and where it is.
public struct Token: Sendable {
    public let kind: TokenKind
    public let range: SourceRange

    public init(_ kind: TokenKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}
