import DLCDriver
import Foundation
import XCTest
import _DLCTestSupport

/// The corpus of malformed and ill-typed programs: each `Invalid/*.dlg` must fail to
/// compile (status 1) with exactly the diagnostics in `Invalid/NAME.expected`.
final class InvalidCorpusTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Invalid")

    func testEveryInvalidFileGetsItsDiagnostic() throws {
        let files = Repository.files(in: Self.dir, withExtension: "dlg")
        XCTAssertGreaterThanOrEqual(files.count, 40, "the corpus must hold at least 40 invalid programs")
        for url in files {
            let result = try TestCompiler.compile(file: url)
            XCTAssertEqual(result.status, 1, "\(url.lastPathComponent) should be rejected")
            XCTAssertTrue(result.output.isEmpty, "\(url.lastPathComponent) printed a summary despite errors")
            XCTAssertTrue(result.diagnostics.contains { $0.severity == .error }, "\(url.lastPathComponent) has no error")
            for d in result.diagnostics { XCTAssertNotNil(d.range.file, "\(url.lastPathComponent): '\(d.message)' has no location") }
            Golden.check(TestCompiler.transcript(result), against: url.deletingPathExtension().appendingPathExtension("expected"))
        }
    }
}
