import DLCCore
import DLCDriver
import Foundation
import XCTest
import _DLCTestSupport

/// Keeps the documentation true: every fenced ```dlg block of the documents below must
/// compile with status 0 and no diagnostics at all, and every ```dlg-error block must fail
/// with status 1. When a ```dlg-error block is followed directly by a ```text block, that
/// block must be exactly the diagnostics the compiler prints for the example (compiled as
/// `example.dlg`, without colours).
final class DocsExamplesTests: XCTestCase {
    /// The documents whose examples are checked; a missing README.md is skipped.
    static let documents = ["docs/language.md", "docs/cli.md", "README.md"]

    struct CodeBlock {
        var tag: String
        var text: String
        /// 1-based line of the opening fence.
        var line: Int
    }

    /// The fenced code blocks of a Markdown text, in order.
    static func codeBlocks(in markdown: String) -> [CodeBlock] {
        var blocks: [CodeBlock] = []
        var open: (tag: String, line: Int, fence: String)?
        var body: [Substring] = []
        for (i, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop(while: { $0 == " " })
            if let o = open {
                if trimmed.hasPrefix(o.fence), trimmed.drop(while: { $0 == "`" }).allSatisfy({ $0 == " " }) {
                    blocks.append(CodeBlock(tag: o.tag, text: body.joined(separator: "\n") + "\n", line: o.line))
                    open = nil
                    body = []
                } else {
                    body.append(line)
                }
            } else if trimmed.hasPrefix("```") {
                let fence = String(trimmed.prefix(while: { $0 == "`" }))
                let tag = trimmed.dropFirst(fence.count).trimmingCharacters(in: .whitespaces)
                open = (tag, i + 1, fence)
            }
        }
        return blocks
    }

    func testDocumentationExamplesCompile() throws {
        var checked = 0
        var languageExamples = 0
        for doc in Self.documents {
            let url = Repository.root.appendingPathComponent(doc)
            guard FileManager.default.fileExists(atPath: url.path) else {
                XCTAssertNotEqual(doc, "docs/language.md", "docs/language.md is missing")
                continue
            }
            let blocks = Self.codeBlocks(in: try String(contentsOf: url, encoding: .utf8))
            for (k, block) in blocks.enumerated() where block.tag == "dlg" || block.tag == "dlg-error" {
                checked += 1
                if doc == "docs/language.md" { languageExamples += 1 }
                let place = "\(doc):\(block.line)"
                let r = TestCompiler.compile(block.text, path: "example.dlg")
                if block.tag == "dlg" {
                    XCTAssertEqual(r.status, 0, "\(place): the example does not compile:\n\(r.diagnosticsText)")
                    XCTAssertTrue(r.diagnostics.isEmpty, "\(place): the example has diagnostics:\n\(r.diagnosticsText)")
                    continue
                }
                XCTAssertEqual(r.status, 1, "\(place): a dlg-error example must fail with status 1:\n\(r.diagnosticsText)")
                XCTAssertTrue(r.diagnostics.contains { $0.severity == .error }, "\(place): no error reported")
                if k + 1 < blocks.count, blocks[k + 1].tag == "text" {
                    XCTAssertEqual(blocks[k + 1].text, r.diagnosticsText,
                                   "\(place): the ```text block after the example is not what the compiler prints")
                }
            }
        }
        XCTAssertGreaterThan(languageExamples, 0, "no ```dlg blocks found in docs/language.md")
        XCTAssertGreaterThan(checked, 0, "no ```dlg blocks found in the documentation")
    }

    /// The extraction itself: fences, tags, and blocks that are not examples.
    func testCodeBlockExtraction() {
        let md = """
        Intro.

        ```dlg
        model A {
          input x: f32[N, 2]
          output x
        }
        ```

        ```text
        some output
        ```

        ````dlg-error
        ```
        ````
        """
        let blocks = Self.codeBlocks(in: md)
        XCTAssertEqual(blocks.map(\.tag), ["dlg", "text", "dlg-error"])
        XCTAssertEqual(blocks[0].line, 3)
        XCTAssertEqual(blocks[0].text, "model A {\n  input x: f32[N, 2]\n  output x\n}\n")
        XCTAssertEqual(blocks[2].text, "```\n")
    }
}
