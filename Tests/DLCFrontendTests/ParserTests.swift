import DLCCore
import DLCFrontend
import XCTest

final class ParserTests: XCTestCase {
    func parse(_ text: String) -> (String, [String]) {
        let d = DiagnosticEngine()
        let unit = Parser.parse(SourceFile(path: "t.dlg", text: text), diagnostics: d)
        return (ASTPrinter().print(unit), d.diagnostics.map { "\($0.range.description): \($0.message)" })
    }

    func testPrecedenceAndPipelines() {
        let (ast, errors) = parse("model M {\n  y = a + b * c @ d |> relu |> f(2)\n  z = -a - b == c and not d\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertTrue(ast.contains("(= y (|> (|> (+ a (@ (* b c) d)) relu) (call f 2)))"), ast)
        XCTAssertTrue(ast.contains("(= z (and (== (- (neg a) b) c) (not d)))"), ast)
    }

    func testPipelineContinuesOnTheNextLine() {
        let (ast, errors) = parse("model M {\n  y = conv2d(x, 6, kernel: 5)\n    |> relu\n    |> maxpool2d(2)\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertTrue(ast.contains("(= y (|> (|> (call conv2d x 6 kernel: 5) relu) (call maxpool2d 2)))"), ast)
    }

    func testBlocksRepeatIfAndTuples() {
        let src = """
            block R(x, c: Int, s: Int = 1) {
              skip = if s == 1 { x } else { conv2d(x, c, kernel: 1, stride: s) }
              repeat 2 as i { x = f(x) }
              if s > 1 { x = g(x) } else { x = h(x) }
              return (x, skip)
            }
            """
        let (ast, errors) = parse(src)
        XCTAssertEqual(errors, [])
        XCTAssertTrue(ast.contains("(block R (x, c: Int, s: Int = 1)"), ast)
        XCTAssertTrue(ast.contains("(= skip (if (== s 1) x (call conv2d x c kernel: 1 stride: s)))"), ast)
        XCTAssertTrue(ast.contains("(repeat 2 as i"), ast)
        XCTAssertTrue(ast.contains("(return (tuple x skip))"), ast)
    }

    func testTrainSectionAndSteps() {
        let (ast, errors) = parse("train G {\n  batch: 64\n  step d: minimize bce(D(x), 1) over D, G\n  schedule: [d]\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertTrue(ast.contains("(step d minimize (call bce (call D x) 1) over D, G)"), ast)
    }

    func testRecoveryReportsEveryStatementError() {
        let (_, errors) = parse("model M {\n  x = \n  y = f(,)\n  input : f32[N]\n  z = g(x)\n}\n")
        XCTAssertEqual(errors, ["t.dlg:2:7: expected an expression, found end of line",
                                "t.dlg:3:9: expected an expression, found ','",
                                "t.dlg:4:9: expected an input name, found ':'"])
    }

    func testMissingBraceAtEndOfFile() {
        let (_, errors) = parse("model M {\n  x = f(y)\n")
        XCTAssertEqual(errors, ["t.dlg:3:1: expected '}' to close the body, found end of file"])
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let (_, errors) = parse("model M {\n  x = " + String(repeating: "(", count: 5000) + "\n}\n")
        XCTAssertEqual(errors.first, "t.dlg:2:135: expression is nested too deeply (more than 128 levels)")
        let (_, errors2) = parse("model M {\n  x = " + String(repeating: "-", count: 5000) + "1\n}\n")
        XCTAssertTrue(errors2.first?.contains("nested too deeply") == true, "\(errors2)")
    }

    func testUnusedExpressionStatement() {
        let (_, errors) = parse("model M {\n  relu(x)\n}\n")
        XCTAssertEqual(errors, ["t.dlg:2:7: the result of this expression is not used; assign it to a name"])
    }
}
