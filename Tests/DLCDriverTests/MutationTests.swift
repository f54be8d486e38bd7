import DLCCore
import DLCDriver
import DLCFrontend
import Foundation
import XCTest
import _DLCTestSupport

/// Robustness: every model of `models/` is mutated at random — tokens deleted, duplicated,
/// swapped and replaced, the file truncated, random bytes inserted — and compiled. The
/// compiler must never crash or hang, must exit 0 or 1, and every error it prints must
/// have the `file:line:col: error:` form. The seed is fixed, so a failure reproduces.
final class MutationTests: XCTestCase {
    static let mutantsPerRun = 2400

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    /// One random mutation of a file's bytes, at token granularity where it matters.
    static func mutate(_ bytes: [UInt8], tokens: [Range<Int>], rng: inout SplitMix) -> [UInt8] {
        var b = bytes
        let pick = { (rng: inout SplitMix) in tokens[rng.below(tokens.count)] }
        for _ in 0..<(1 + rng.below(3)) {
            guard !tokens.isEmpty, !b.isEmpty else { break }
            switch rng.below(6) {
            case 0:  // delete a token
                let t = pick(&rng)
                if t.upperBound <= b.count { b.removeSubrange(t) }
            case 1:  // duplicate a token
                let t = pick(&rng)
                if t.upperBound <= b.count { b.insert(contentsOf: b[t], at: t.lowerBound) }
            case 2:  // swap two tokens
                let x = pick(&rng), y = pick(&rng)
                guard x.upperBound <= b.count, y.upperBound <= b.count, x.upperBound <= y.lowerBound else { continue }
                let tx = Array(b[x]), ty = Array(b[y])
                b.replaceSubrange(y, with: tx)
                b.replaceSubrange(x, with: ty)
            case 3:  // truncate
                b = Array(b[0..<rng.below(b.count)])
            case 4:  // random bytes
                let at = rng.below(b.count + 1)
                let junk = (0..<(1 + rng.below(6))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                b.insert(contentsOf: junk, at: at)
            default:  // replace a token with another token of the file
                let x = pick(&rng), y = pick(&rng)
                guard x.upperBound <= b.count, y.upperBound <= b.count else { continue }
                let ty = Array(bytes[y])
                b.replaceSubrange(x, with: ty)
            }
        }
        return b
    }

    static let errorLine = try! NSRegularExpression(pattern: #"^[^\s:][^:]*:\d+:\d+: error: "#)

    func testRandomMutantsNeverCrashAndAlwaysLocateErrors() throws {
        let models = Repository.modelFiles
        XCTAssertGreaterThanOrEqual(models.count, 2)
        var rng = SplitMix(state: 0xD1C_2026)
        var rejected = 0
        for i in 0..<Self.mutantsPerRun {
            let url = models[i % models.count]
            let original = try [UInt8](Data(contentsOf: url))
            let tokens = Lexer.tokenize(SourceFile(path: "x", bytes: original), diagnostics: DiagnosticEngine())
                .map { $0.range.start..<$0.range.end }.filter { !$0.isEmpty }
            let mutant = Self.mutate(original, tokens: tokens, rng: &rng)
            let start = Date()
            let r = Compiler(registry: TestCompiler.registry).compile(SourceFile(path: "mutant.dlg", bytes: mutant))
            XCTAssertLessThan(Date().timeIntervalSince(start), 5, "mutant \(i) took too long")
            XCTAssertTrue(r.status == 0 || r.status == 1)
            if r.status == 1 { rejected += 1 }
            for line in r.diagnosticsText.split(separator: "\n") where line.contains("error:") && !line.hasPrefix(" ") {
                let s = String(line)
                let m = Self.errorLine.firstMatch(in: s, range: NSRange(s.startIndex..., in: s))
                if m == nil {
                    XCTFail("mutant \(i) of \(url.lastPathComponent): malformed error line: \(s)")
                    return
                }
            }
        }
        // Most mutants break the program; if none did, the mutator is broken.
        XCTAssertGreaterThan(rejected, Self.mutantsPerRun / 2)
    }

    /// A sample of mutants through the real executable: exit status 0 or 1, never a signal or a hang.
    func testMutantsThroughTheExecutable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-mutants-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix(state: 42)
        for (i, url) in Repository.modelFiles.enumerated() {
            let original = try [UInt8](Data(contentsOf: url))
            let tokens = Lexer.tokenize(SourceFile(path: "x", bytes: original), diagnostics: DiagnosticEngine())
                .map { $0.range.start..<$0.range.end }.filter { !$0.isEmpty }
            for k in 0..<12 {
                let path = dir.appendingPathComponent("m\(i)_\(k).dlg")
                try Data(Self.mutate(original, tokens: tokens, rng: &rng)).write(to: path)
                let o = try DLCProcess.run(["compile", path.path])
                XCTAssertFalse(o.crashed, "dlc crashed on \(path.lastPathComponent): \(o.stderr)")
                XCTAssertFalse(o.timedOut, "dlc hung on \(path.lastPathComponent)")
                XCTAssertTrue(o.status == 0 || o.status == 1, "status \(o.status): \(o.stderr)")
            }
        }
    }
}
