import DLCCore
import DLCData
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc tokenize`: the .npy files it writes and its errors.
final class TokenizeCommandTests: XCTestCase {
    func testTokenizeWritesIdsAndMaskAndReportsErrors() throws {
        let dir = NSTemporaryDirectory() + "dlc-tokenize-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n!\n".write(toFile: dir + "/vocab.txt", atomically: true, encoding: .utf8)
        let r = try DLCProcess.run(["tokenize", "--vocab", dir + "/vocab.txt", "--length", "5", "Hello world!", "HELLO", "-o", dir + "/t"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Npy.read(dir + "/t/ids.npy").tensor, HostTensor(shape: [2, 5], storage: .i32([2, 4, 5, 6, 3, 2, 4, 3, 0, 0])))
        XCTAssertEqual(try Npy.read(dir + "/t/mask.npy").tensor, HostTensor(shape: [2, 5], storage: .f32([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])))
        let pieces = try DLCProcess.run(["tokenize", "--vocab", dir + "/vocab.txt", "hello, world"])
        XCTAssertEqual(pieces.stdout, "hello [UNK] world\n")

        try "[PAD]\n[UNK]\n".write(toFile: dir + "/bad.txt", atomically: true, encoding: .utf8)
        let bad = try DLCProcess.run(["tokenize", "--vocab", dir + "/bad.txt", "x"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "error: \(dir)/bad.txt: the vocabulary has no [CLS] token\n")
        for (args, message) in [(["--vocab", dir + "/nope.txt", "x"], "cannot read"), (["--vocab", dir + "/vocab.txt"], "give at least one sentence"),
                                (["--vocab", dir + "/vocab.txt", "--length", "1", "x"], "--length must be at least 2")] {
            let u = try DLCProcess.run(["tokenize"] + args)
            XCTAssertEqual(u.status, 2, u.stderr)
            XCTAssertTrue(u.stderr.contains(message), u.stderr)
        }
    }
}
