import DLCCore
import DLCData
import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// Run directories, safetensors, checkpoints, exact resumption, early stopping.
final class RunRecordTests: XCTestCase {
    var trainer: Trainer { Trainer(registry: TestCompiler.registry) }

    func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-runs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Dropout (random stream), Adam (moments, step count), a partial last batch (a second
    /// executor with its own stream), validation and a learning-rate schedule.
    static let model = """
        model M {
          input image: f32[N, 1, 8, 8]
          input label: i32[N]
          logits = flatten(image) |> dense(32) |> relu |> dropout(rate: 0.2) |> dense(10)
          loss ce = cross_entropy(logits, label)
          output logits
        }
        train M {
          data: digits(split: 0.5, seed: 3)
          validation: 0.1
          optimizer: adam(lr: 0.01)
          lr_schedule: cosine()
          batch: 50
          epochs: 4
          seed: 5
          checkpoint_every: 3
          metrics: [accuracy, f1, log_loss]
        }
        """

    func source(_ text: String = RunRecordTests.model) -> SourceFile { SourceFile(path: "m.dlg", text: text) }

    func testSafetensorsRoundTripAndLayout() throws {
        let tensors = ["b": HostTensor(shape: [3], f32: [1, -2.5, .infinity]),
                       "a": HostTensor(shape: [2, 2], storage: .i64([1, -2, 3, Int64.max])),
                       "c": HostTensor(shape: [2], storage: .bool([true, false])),
                       "d": HostTensor(shape: [], f64: [0.1])]
        let bytes = try Safetensors.encode(tensors, metadata: ["k": "v"])
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(bytes[2..<8].allSatisfy { $0 == 0 }, true)
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,32],"dtype":"I64","shape":[2,2]}"#), header)
        XCTAssertEqual(bytes.count, 8 + n + 32 + 12 + 2 + 8)
        // f32 1.0 little-endian right after the i64 data.
        XCTAssertEqual(Array(bytes[(8 + n + 32)..<(8 + n + 36)]), [0, 0, 0x80, 0x3F])
        let (back, metadata) = try Safetensors.decode(bytes, source: "t")
        XCTAssertEqual(back, tensors)
        XCTAssertEqual(metadata, ["k": "v"])
        XCTAssertThrowsError(try Safetensors.decode(Array(bytes.dropLast()), source: "t.safetensors")) {
            XCTAssertTrue(($0 as? DLCError)?.message.hasPrefix("t.safetensors: not a valid safetensors file") == true, "\($0)")
        }
    }

    func testARunIsRecorded() throws {
        let runs = try temporaryDirectory()
        let r = try trainer.train(source(), options: RunOptions(runsDirectory: runs, version: "9.9"))
        let dir = try XCTUnwrap(r.runDirectory)
        XCTAssertTrue(dir.hasPrefix(runs + "/M-"))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        XCTAssertEqual(files, ["settings.json", "environment.json", "m.dlg", "metrics.csv", "metrics.jsonl", "checkpoints",
                               "weights.safetensors", "best.safetensors", "summary.json", "test_metrics.json", "status", "graph.svg",
                               "preprocessing.json"])
        XCTAssertEqual(try String(contentsOfFile: dir + "/status", encoding: .utf8), "finished\n")
        let csv = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "epoch,loss,train_accuracy,val_loss,val_accuracy,val_f1,val_log_loss,seconds")
        XCTAssertEqual(csv.count, 5)
        let jsonl = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(jsonl.filter { $0.contains(#""kind":"step""#) }.count, 4 * 15)
        XCTAssertEqual(jsonl.filter { $0.contains(#""kind":"epoch""#) }.count, 4)
        let env = try RunRecorder.readJSON(dir + "/environment.json")
        XCTAssertEqual(env["dlc_version"] as? String, "9.9")
        XCTAssertNotNil(env["cores"] as? Int)
        let weights = try Safetensors.read(dir + "/weights.safetensors").tensors
        XCTAssertTrue(weights.keys.contains("logits.dense_1.weight"), "\(weights.keys.sorted())")
        XCTAssertTrue(weights.keys.allSatisfy { r.parameters[$0] != nil })
        XCTAssertEqual(weights["logits.dense_1.weight"], r.parameters["logits.dense_1.weight"])
        let settings = try RunRecorder.readJSON(dir + "/settings.json")
        XCTAssertEqual((settings["settings"] as? [String: Any])?["epochs"] as? Int, 4)
    }

    /// Stopped after `steps` steps (at an epoch's end or mid-epoch) and resumed, a run ends
    /// with bit-for-bit the state of an uninterrupted one.
    func testResumedRunsEndWithTheSameWeights() throws {
        let straight = try trainer.train(source(), options: RunOptions(runsDirectory: try temporaryDirectory()))
        for stopAt in [15, 22, 47] {  // after epoch 1 (15 steps an epoch); mid-epoch 2 between checkpoints; mid-epoch 4
            let runs = try temporaryDirectory()
            var steps = 0
            var interrupted: TrainInterrupted?
            XCTAssertThrowsError(try trainer.train(source(), options: RunOptions(runsDirectory: runs, shouldStop: {
                steps += 1
                return steps == stopAt
            }))) { interrupted = $0 as? TrainInterrupted }
            let dir = try XCTUnwrap(interrupted?.runDirectory)
            XCTAssertEqual(interrupted?.step, stopAt)
            XCTAssertEqual(try String(contentsOfFile: dir + "/status", encoding: .utf8), "interrupted\n")
            let resumed = try trainer.resume(dir)
            XCTAssertEqual(resumed.parameters.keys.sorted(), straight.parameters.keys.sorted())
            for (name, value) in straight.parameters {
                XCTAssertEqual(resumed.parameters[name], value, "\(name) after stopping at step \(stopAt)")
            }
            XCTAssertEqual(resumed.epochs.map(\.loss), straight.epochs.map(\.loss))
            XCTAssertEqual(resumed.epochs.map(\.metrics), straight.epochs.map(\.metrics))
            XCTAssertEqual(try String(contentsOfFile: dir + "/status", encoding: .utf8), "finished\n")
            let csv = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(csv.count, 5)
            XCTAssertThrowsError(try trainer.resume(dir)) {
                XCTAssertEqual(($0 as? DLCError)?.message, "the run \(dir) has already finished")
            }
        }
    }

    func testEarlyStoppingKeepsTheBestWeights() throws {
        // A learning rate so high that validation accuracy stalls quickly.
        let text = Self.model.replacingOccurrences(of: "epochs: 4", with: "epochs: 40\n  early_stopping: 2")
            .replacingOccurrences(of: "adam(lr: 0.01)", with: "sgd(lr: 0.5)")
            .replacingOccurrences(of: "lr_schedule: cosine()", with: "")
        let r = try trainer.train(source(text), options: RunOptions(runsDirectory: try temporaryDirectory()))
        let stopped = try XCTUnwrap(r.stoppedEarlyAt)
        XCTAssertLessThan(stopped, 40)
        let best = try XCTUnwrap(r.bestEpoch)
        XCTAssertEqual(stopped, best + 2)
        let accuracies = r.epochs.map { $0.validationAccuracy! }
        XCTAssertEqual(accuracies.max(), accuracies[best - 1])
        XCTAssertEqual(accuracies.firstIndex(of: accuracies.max()!), best - 1)
        let dir = try XCTUnwrap(r.runDirectory)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/best.safetensors"))
        let summary = try RunRecorder.readJSON(dir + "/summary.json")
        XCTAssertEqual(summary["stopped_early_at"] as? Int, stopped)
        XCTAssertEqual(summary["best_epoch"] as? Int, best)
    }

    func testADivergingRunKeepsItsLastGoodCheckpoint() throws {
        let text = Self.model.replacingOccurrences(of: "adam(lr: 0.01)", with: "sgd(lr: 1e30)")
            .replacingOccurrences(of: "checkpoint_every: 3", with: "checkpoint_every: 1")
        let runs = try temporaryDirectory()
        XCTAssertThrowsError(try trainer.train(source(text), options: RunOptions(runsDirectory: runs))) {
            XCTAssertTrue(($0 as? DLCError)?.message.hasPrefix("the loss became") == true, "\($0)")
        }
        let dir = runs + "/" + (try FileManager.default.contentsOfDirectory(atPath: runs))[0]
        let status = try String(contentsOfFile: dir + "/status", encoding: .utf8)
        XCTAssertTrue(status.hasPrefix("failed: the loss became"), status)
        if let (_, c) = try? Checkpoint.latest(in: dir) {
            XCTAssertTrue(c.state.values.allSatisfy { $0.doubles.allSatisfy(\.isFinite) })
        }
    }
}
