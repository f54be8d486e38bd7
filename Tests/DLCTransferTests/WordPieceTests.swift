import DLCCore
import DLCTransfer
import XCTest

/// The WordPiece tokenizer on a small vocabulary (the real one: MiniLMParityTests).
final class WordPieceTests: XCTestCase {
    let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##believ", "##able", "the", "cafe", ",", "!", "中", "a", "##b", "."]

    func testBasicSplittingAccentsPunctuationAndPieces() throws {
        let t = try WordPiece(vocab: vocab)
        XCTAssertEqual(t.pieces("Unbelievable, the CAFÉ!"), ["un", "##believ", "##able", ",", "the", "cafe", "!"])
        // NUL and the zero-width space are dropped, a tab is a space, CJK ideographs stand alone.
        XCTAssertEqual(t.pieces("中a\u{0000}b\tab.\u{200B}"), ["中", "a", "##b", "a", "##b", "."])
        XCTAssertEqual(t.pieces("b a"), ["[UNK]", "a"])  // "b" only continues a word
        XCTAssertEqual(t.pieces("zzz " + String(repeating: "a", count: 101)), ["[UNK]", "[UNK]"])
        let e = t.encode("the cafe", length: 6)
        XCTAssertEqual(e.ids, [2, 7, 8, 3, 0, 0])
        XCTAssertEqual(e.mask, [1, 1, 1, 1, 0, 0])
        XCTAssertEqual(t.encode("the the the the", length: 4).ids, [2, 7, 7, 3])  // cut, [SEP] kept
    }

    func testAVocabularyWithoutTheSpecialTokensIsRefused() {
        XCTAssertThrowsError(try WordPiece(vocab: ["[PAD]", "[UNK]", "[CLS]"], source: "v.txt")) {
            XCTAssertEqual("\($0)", "v.txt: the vocabulary has no [SEP] token")
        }
    }
}
