import DLCDriver
import Foundation
import XCTest
import _DLCTestSupport

/// Every `Golden/*.dlg` file is compiled with the flags on its first line
/// (`# RUN: --emit=ir --print-after=dce`) and its transcript (stdout, diagnostics, exit
/// status) compared with `Golden/NAME.expected`. Re-record with `DLC_RECORD=1`.
final class GoldenTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func testGoldenFiles() throws {
        let files = Repository.files(in: Self.dir, withExtension: "dlg")
        XCTAssertGreaterThanOrEqual(files.count, 8, "the golden corpus went missing")
        for url in files {
            let options = try Self.options(fromFirstLineOf: url)
            let result = try TestCompiler.compile(file: url, options: options)
            Golden.check(TestCompiler.transcript(result), against: url.deletingPathExtension().appendingPathExtension("expected"))
        }
    }

    /// Reads `# RUN: flags` from the first line.
    static func options(fromFirstLineOf url: URL) throws -> CompileOptions {
        let text = try String(contentsOf: url, encoding: .utf8)
        let first = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        var options = CompileOptions()
        guard first.hasPrefix("# RUN:") else { return options }
        for flag in first.dropFirst(6).split(separator: " ") {
            let parts = flag.split(separator: "=", maxSplits: 1).map(String.init)
            switch parts[0] {
            case "--emit": options.emit = EmitKind(rawValue: parts[1])!
            case "--print-after": options.printAfter.append(parts[1])
            case "--model": options.model = parts[1]
            default: XCTFail("unknown flag \(flag) in \(url.lastPathComponent)")
            }
        }
        return options
    }
}
