import DLCCore
import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// `dlc train` as a library: real learning on the embedded digits, and clear errors.
final class TrainerTests: XCTestCase {
    var trainer: Trainer { Trainer(registry: TestCompiler.registry) }

    func source(_ text: String, path: String = "t.dlg") -> SourceFile { SourceFile(path: path, text: text) }

    func testTheBenchmarkMLPLearnsTheDigits() throws {
        let url = Repository.root.appendingPathComponent("models/mlp.dlg")
        let file = SourceFile(path: "models/mlp.dlg", bytes: try [UInt8](Data(contentsOf: url)))
        var lines: [String] = []
        let r = try trainer.train(file) { lines.append($0) }
        XCTAssertEqual(r.epochs.count, 20)
        XCTAssertLessThan(r.epochs.last!.loss, r.epochs.first!.loss / 3)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.testAccuracy), 0.90, lines.joined(separator: "\n"))
        XCTAssertEqual(r.parameters["fc1.weight"]?.shape, [256, 784])
        XCTAssertTrue(lines.last!.hasPrefix("test loss "), lines.joined(separator: "\n"))
    }

    /// `steps: 20` trains exactly 20 steps: one full epoch of 15 batches and 5 of the next;
    /// `--epochs` on the command line takes precedence.
    func testStepsBoundTheRun() throws {
        let text = """
            model M {
              input image: f32[N, 1, 8, 8]
              input label: i32[N]
              logits = flatten(image) |> dense(10)
              loss ce = cross_entropy(logits, label)
              output probs = softmax(logits)
            }
            train M {
              optimizer: sgd(lr: 0.1)
              batch: 100
              steps: 20
            }
            """
        var steps = 0
        var lines: [String] = []
        let r = try trainer.train(source(text), progress: { _ in steps += 1 }) { lines.append($0) }
        XCTAssertEqual(steps, 20)
        XCTAssertEqual(r.epochs.count, 2)
        XCTAssertTrue(lines[0].hasSuffix("batch 100, 20 steps (2 epochs)"), lines[0])
        var overrides = TrainOverrides()
        overrides.epochs = 1
        steps = 0
        let one = try trainer.train(source(text), overrides: overrides, progress: { _ in steps += 1 })
        XCTAssertEqual(steps, 15)
        XCTAssertEqual(one.epochs.count, 1)
    }

    func testTrainingIsDeterministicForASeed() throws {
        let text = """
            model M {
              input image: f32[N, 1, 8, 8]
              input label: i32[N]
              logits = flatten(image) |> dense(10)
              loss ce = cross_entropy(logits, label)
              output logits
            }
            train M {
              data: digits(split: 0.5, seed: 3)
              optimizer: adam(lr: 0.01)
              batch: 50
              epochs: 2
            }
            """
        let a = try trainer.train(source(text)), b = try trainer.train(source(text))
        XCTAssertEqual(a.parameters["logits.weight"], b.parameters["logits.weight"])
        XCTAssertEqual(a.testAccuracy, b.testAccuracy)
        let c = try trainer.train(source(text), overrides: TrainOverrides(seed: 99))
        XCTAssertNotEqual(a.parameters["logits.weight"], c.parameters["logits.weight"])
    }

    func testShapeMismatchSuggestsThePreprocessing() {
        let text = """
            model M {
              input image: f32[N, 1, 28, 28]
              input label: i32[N]
              loss ce = flatten(image) |> dense(10) |> cross_entropy(label)
            }
            train M { data: digits() }
            """
        XCTAssertThrowsError(try trainer.train(source(text))) {
            XCTAssertEqual(($0 as? DLCError)?.message,
                           "the training data has examples of shape [1, 8, 8] but input 'image' is f32[N, 1, 28, 28]; add 'preprocess: [upscale(size: 28)]' to the train section")
        }
    }

    func testMissingDataFileNamesIt() {
        let text = """
            model M {
              input x: f32[N, 4]
              input y: i32[N]
              loss ce = dense(x, 3) |> cross_entropy(y)
            }
            train M { data: npy(x: "no-such-x.npy", y: "no-such-y.npy") }
            """
        XCTAssertThrowsError(try trainer.train(source(text, path: "/tmp/m.dlg"))) {
            let message = ($0 as? DLCError)?.message ?? "\($0)"
            XCTAssertTrue(message.hasPrefix("/tmp/no-such-x.npy: "), message)
        }
    }

    func testCompileErrorsAreReturnedAsDiagnostics() {
        XCTAssertThrowsError(try trainer.train(source("model M {\n  input x: f32[N, 4]\n  loss l = mean(dense(x, 0))\n}\n"))) {
            let text = ($0 as? CompileFailure)?.text ?? ""
            XCTAssertTrue(text.hasPrefix("t.dlg:3:26: error: argument 'units' of 'dense' must be positive, found 0"), text)
        }
    }

    func testADivergingRunStopsWithTheStep() {
        let text = """
            model M {
              input image: f32[N, 1, 8, 8]
              input label: i32[N]
              loss ce = flatten(image) |> dense(10) |> cross_entropy(label)
            }
            train M {
              data: digits()
              optimizer: sgd(lr: 1e38)
              epochs: 3
            }
            """
        XCTAssertThrowsError(try trainer.train(source(text))) {
            let message = ($0 as? DLCError)?.message ?? "\($0)"
            XCTAssertTrue(message.hasPrefix("the loss became "), message)
            XCTAssertTrue(message.contains("lower the learning rate"), message)
        }
    }

    /// The digits models of `models/` reach their bar with the settings in their files,
    /// and the same seed gives the same result.
    func testDigitsModelsReachNinetySevenPercent() throws {
        for name in ["digits_mlp.dlg", "digits_cnn.dlg"] {
            let url = Repository.root.appendingPathComponent("models/\(name)")
            let file = SourceFile(path: "models/\(name)", bytes: try [UInt8](Data(contentsOf: url)))
            let a = try trainer.train(file), b = try trainer.train(file)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(a.testAccuracy), 0.97, name)
            XCTAssertEqual(a.testAccuracy, b.testAccuracy, name)
            XCTAssertEqual(a.testLoss, b.testLoss, name)
        }
    }
}
