import DLCCore
import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc train` as a child process stopped by SIGINT (a checkpoint, status 130) or killed by
/// SIGKILL at random moments (the newest checkpoint always loads, and the run resumes to
/// the same weights as an uninterrupted one).
final class InterruptionTests: XCTestCase {
    static let model = """
        model M {
          input image: f32[N, 1, 8, 8]
          input label: i32[N]
          logits = flatten(image) |> dense(64) |> relu |> dropout(rate: 0.1) |> dense(10)
          loss ce = cross_entropy(logits, label)
          output logits
        }
        train M {
          data: digits(split: 0.8, seed: 1)
          optimizer: adam(lr: 0.005)
          batch: 50
          epochs: 12
          seed: 2
          checkpoint_every: 2
        }
        """

    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-int-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.model.write(toFile: directory + "/m.dlg", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = DLCProcess.binary
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// The run directory once its first step is logged.
    func waitForFirstStep(in runs: String, of p: Process) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && p.isRunning {
            if let name = try? FileManager.default.contentsOfDirectory(atPath: runs).first,
               let log = try? String(contentsOfFile: "\(runs)/\(name)/metrics.jsonl", encoding: .utf8), !log.isEmpty {
                return "\(runs)/\(name)"
            }
            usleep(2000)
        }
        throw XCTSkip("the child never started training")
    }

    func status(_ run: String) -> String { (try? String(contentsOfFile: run + "/status", encoding: .utf8)) ?? "" }

    func testCtrlCSavesACheckpointAndExitsWith130() throws {
        let runs = directory + "/runs"
        let p = try start(["train", "m.dlg", "--runs-dir", runs])
        let run = try waitForFirstStep(in: runs, of: p)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertEqual(status(run), "interrupted\n")
        let (_, c) = try Checkpoint.latest(in: run)
        XCTAssertFalse(c.position.finished)
        XCTAssertGreaterThan(c.position.step, 0)
        // The CLI resumes it to the end.
        let q = try start(["train", "--resume", run])
        q.waitUntilExit()
        XCTAssertEqual(q.terminationStatus, 0)
        XCTAssertEqual(status(run), "finished\n")
    }

    func testSIGKILLNeverLeavesACorruptCheckpoint() throws {
        let straight = try Trainer(registry: TestCompiler.registry).train(SourceFile(path: directory + "/m.dlg", text: Self.model))
        var rng = SystemRandomNumberGenerator()
        var killed = 0, resumedOnce = false
        for attempt in 0..<5 {
            let runs = directory + "/runs\(attempt)"
            let p = try start(["train", "m.dlg", "--runs-dir", runs])
            let run = try waitForFirstStep(in: runs, of: p)
            usleep(UInt32.random(in: 0..<400_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            guard p.terminationReason == .uncaughtSignal else { continue }  // it finished first
            killed += 1
            for file in Checkpoint.files(in: run) {
                XCTAssertNoThrow(try Checkpoint.read(file), "attempt \(attempt): \(file)")
            }
            guard let (_, c) = try? Checkpoint.latest(in: run) else { continue }  // killed before the first checkpoint
            XCTAssertGreaterThan(c.position.step, 0)
            // The kill can land after the run recorded that it finished but before the process
            // exited: such a run has nothing left to resume.
            let status = (try? String(contentsOfFile: run + "/status", encoding: .utf8)) ?? ""
            if !resumedOnce && !status.hasPrefix("finished") {
                resumedOnce = true
                let resumed = try Trainer(registry: TestCompiler.registry).resume(run)
                for (name, value) in straight.parameters {
                    XCTAssertEqual(resumed.parameters[name], value, "\(name) after a SIGKILL at step \(c.position.step)")
                }
            }
        }
        XCTAssertGreaterThan(killed, 0, "every child finished before it was killed")
        XCTAssertTrue(resumedOnce)
    }
}
