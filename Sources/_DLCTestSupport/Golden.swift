import Foundation
import XCTest

/// Golden-file checks: the expected text lives in a file beside the test input. A missing
/// file, or `DLC_RECORD=1` in the environment, writes the actual text as the new expectation
/// and fails the test so that the recording is reviewed before it is committed.
public enum Golden {
    /// Whether this run records expectations instead of checking them.
    public static var recording: Bool { ProcessInfo.processInfo.environment["DLC_RECORD"] == "1" }

    /// Compares `actual` with the contents of `url`.
    public static func check(_ actual: String, against url: URL, file: StaticString = #filePath, line: UInt = #line) {
        let existing = try? String(contentsOf: url, encoding: .utf8)
        if recording || existing == nil {
            do {
                try actual.write(to: url, atomically: true, encoding: .utf8)
                XCTFail("recorded \(url.lastPathComponent); review it and run again without DLC_RECORD", file: file, line: line)
            } catch {
                XCTFail("cannot record \(url.path): \(error)", file: file, line: line)
            }
            return
        }
        if actual != existing {
            XCTFail("""
                output differs from \(url.lastPathComponent) (re-record with DLC_RECORD=1 if the change is intended)
                \(unifiedDiff(expected: existing!, actual: actual))
                """, file: file, line: line)
        }
    }

    /// A short line diff: the first differing lines with context.
    public static func unifiedDiff(expected: String, actual: String) -> String {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for i in 0..<max(e.count, a.count) {
            let el = i < e.count ? String(e[i]) : nil, al = i < a.count ? String(a[i]) : nil
            if el != al {
                if let el { out.append("-\(i + 1): \(el)") }
                if let al { out.append("+\(i + 1): \(al)") }
            }
            if out.count > 24 { out.append("…"); break }
        }
        return out.joined(separator: "\n")
    }
}

/// Paths inside the repository, found from this file's location.
public enum Repository {
    /// The repository root.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `models/` and its `.dlg` files, sorted.
    public static var modelFiles: [URL] {
        files(in: root.appendingPathComponent("models"), withExtension: "dlg")
    }

    /// Files with an extension in a directory, recursively, sorted by path.
    public static func files(in dir: URL, withExtension ext: String) -> [URL] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == ext }.sorted { $0.path < $1.path }
    }

    /// A path relative to the repository root, as diagnostics print it.
    public static func relative(_ url: URL) -> String {
        let r = root.standardizedFileURL.path + "/"
        let p = url.standardizedFileURL.path
        return p.hasPrefix(r) ? String(p.dropFirst(r.count)) : p
    }
}
