import DLCCore
import DLCFrontend
import XCTest

final class LexerTests: XCTestCase {
    func kinds(_ text: String) -> ([TokenKind], [String]) {
        let d = DiagnosticEngine()
        let ts = Lexer.tokenize(SourceFile(path: "t.dlg", text: text), diagnostics: d)
        return (ts.map(\.kind), d.diagnostics.map(\.message))
    }

    func testTokensOfAStatement() {
        let (k, errors) = kinds("c1 = conv2d(x, 6, kernel: 5) |> relu  # comment\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(k, [.identifier("c1"), .punct(.assign), .identifier("conv2d"), .punct(.lparen), .identifier("x"),
                           .punct(.comma), .int(6), .punct(.comma), .identifier("kernel"), .punct(.colon), .int(5),
                           .punct(.rparen), .punct(.pipe), .identifier("relu"), .newline, .eof])
    }

    func testNumbers() {
        let (k, errors) = kinds("1 2.5 1e-3 .5 1_000 3.")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(k, [.int(1), .float(2.5), .float(0.001), .float(0.5), .int(1000), .float(3), .eof])
    }

    func testNewlinesInsideBracketsAreIgnoredAndRunsCollapse() {
        let (k, _) = kinds("f(a,\n  b)\n\n\nx")
        XCTAssertEqual(k, [.identifier("f"), .punct(.lparen), .identifier("a"), .punct(.comma), .identifier("b"),
                           .punct(.rparen), .newline, .identifier("x"), .eof])
    }

    func testTwoCharacterOperatorsWin() {
        let (k, _) = kinds("a <= b == c != d -> e |> f")
        let puncts: [Punct] = k.compactMap { kind -> Punct? in if case .punct(let p) = kind { return p } else { return nil } }
        XCTAssertEqual(puncts, [.le, .eq, .ne, .arrow, .pipe])
    }

    func testStringsAndEscapes() {
        let (k, errors) = kinds(#""a\"b\n" "unterminated"#)
        XCTAssertEqual(k.first, .string("a\"b\n"))
        XCTAssertEqual(errors, ["unterminated string literal"])
    }

    func testBadInputIsReportedNotFatal() {
        let (k, errors) = kinds("x $ 3abc 99999999999999999999 \u{1}")
        XCTAssertEqual(errors, ["unexpected character '$'", "invalid number literal '3abc'",
                                "integer literal '99999999999999999999' is too large (the limit is 9223372036854775807)",
                                "unexpected character byte 0x01"])
        XCTAssertEqual(k.last, .eof)
    }

    func testInvalidUTF8IsOneError() {
        let d = DiagnosticEngine()
        _ = Lexer.tokenize(SourceFile(path: "t", bytes: [0x78, 0xC3, 0x28, 0xFF, 0xFE]), diagnostics: d)
        XCTAssertEqual(d.diagnostics.count, 3)  // Ã (lead byte), then 0xFF, 0xFE; '(' is a token
    }

    func testKeywordsAreReserved() {
        let (k, _) = kinds("model block train use input output param loss return repeat if else as")
        XCTAssertEqual(k.filter { if case .keyword = $0 { true } else { false } }.count, 13)
    }
}
