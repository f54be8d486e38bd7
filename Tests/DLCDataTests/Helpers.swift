import DLCCore
@testable import DLCData
import Foundation
import XCTest
import _DLCTestSupport

/// A fresh temporary directory per test case, removed afterwards.
class DataTestCase: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "dlcdata-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A path in the temporary directory.
    func path(_ name: String) -> String { dir + "/" + name }

    /// Writes bytes and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Writes text and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// A committed fixture.
    func fixture(_ name: String) -> String {
        Repository.root.appendingPathComponent("Tests/DLCDataTests/Fixtures/\(name)").path
    }

    /// Runs python3 with numpy, or skips the test when either is missing.
    func python(_ script: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy as np, os\nos.chdir(\(pyString(dir)))\n" + script]
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        do { try p.run() } catch { throw XCTSkip("python3 is not available") }
        p.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if text.contains("No module named 'numpy'") || p.terminationStatus == 127 { throw XCTSkip("numpy is not available") }
        XCTAssertEqual(p.terminationStatus, 0, text)
    }

    private func pyString(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'" }
}

/// Asserts that `body` throws a DLCError with exactly `message`.
func assertDataError<T>(_ message: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected the error: \(message)", file: file, line: line)
    } catch let e as DLCError {
        XCTAssertEqual(e.message, message, file: file, line: line)
    } catch {
        XCTFail("expected a DLCError, got \(error)", file: file, line: line)
    }
}

/// A .npy file by hand: magic, version, a header padded to 64 bytes, and `data`.
func npyBytes(header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    let pre = version == 1 ? 10 : 12
    var h = header
    h += String(repeating: " ", count: (64 - (pre + h.utf8.count + 1) % 64) % 64) + "\n"
    let n = h.utf8.count
    let len: [UInt8] = version == 1 ? [UInt8(n & 0xff), UInt8(n >> 8)] : [UInt8(n & 0xff), UInt8(n >> 8), 0, 0]
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + len + Array(h.utf8) + data
}
