import DLCCore
import DLCData
import DLCDriver
import DLCExperiment
import Foundation
import XCTest
import _DLCTestSupport

/// Train sections with steps: each step updates only its `over` models, steps share the
/// models' parameters, the schedule runs in order, runs resume exactly, sample grids are drawn.
final class MultiStepTrainingTests: XCTestCase {
    /// Two one-parameter models; `sa` trains A on mean(A(x)·B(x)) = a·b·m, `sb` trains B on
    /// mean((B(x) − A(x))²) = (b − a)²·m, with m = mean(x²) over the batch.
    static func twoSteps(schedule: String, batch: Int = 2000) -> String {
        """
        model A {
          input x: f32[N, 1, 8, 8]
          param a: f32[1] = ones
          output y = x * a
        }
        model B {
          input x: f32[N, 1, 8, 8]
          param b: f32[1] = ones
          output y = x * b
        }
        train t {
          step sa: minimize mean(A(x) * B(x)) over A
          step sb: minimize mean(square(B(x) - A(x))) over B
          schedule: \(schedule)
          data: digits(split: 0.8, seed: 1)
          optimizer: sgd(lr: 0.1)
          batch: \(batch)
          epochs: 1
        }
        """
    }

    func train(_ text: String, options: RunOptions = RunOptions()) throws -> TrainResult {
        try Trainer(registry: TestCompiler.registry).train(SourceFile(path: "t.dlg", text: text), options: options)
    }

    /// mean(x²) over the training split (the one batch of a batch size above its size).
    func meanSquare() throws -> Double {
        let x = try Splits(try Digits.load(), train: 0.8, seed: 1).train.x.doubles
        return x.map { $0 * $0 }.reduce(0, +) / Double(x.count)
    }

    func value(_ r: TrainResult, _ name: String) throws -> Double {
        try XCTUnwrap(r.parameters[name], "no parameter \(name) in \(r.parameters.keys.sorted())").doubles[0]
    }

    func testTheScheduleRunsInOrderOnSharedParameters() throws {
        let r = try train(Self.twoSteps(schedule: "[sa, sb]"))
        let m = try meanSquare()
        // sa: ∂/∂a (a·b·m) = b·m → a₁ = 1 − 0.1·m. sb then sees a₁: ∂/∂b (b − a₁)²·m = 2(b − a₁)·m.
        let a1 = 1 - 0.1 * m
        let b1 = 1 - 0.1 * 2 * (1 - a1) * m
        XCTAssertEqual(try value(r, "A.a"), a1, accuracy: 1e-5)
        XCTAssertEqual(try value(r, "B.b"), b1, accuracy: 1e-5)
        XCTAssertEqual(r.model, "t")
        let record = try XCTUnwrap(r.epochs.first)
        XCTAssertEqual(try XCTUnwrap(record.metrics["sa_loss"]), m, accuracy: 1e-5)  // a·b·m with a = b = 1
        XCTAssertEqual(try XCTUnwrap(record.metrics["sb_loss"]), (1 - a1) * (1 - a1) * m, accuracy: 1e-6)
    }

    func testAStepChangesOnlyTheModelsItIsOver() throws {
        let r = try train(Self.twoSteps(schedule: "[sb]"))
        XCTAssertEqual(try value(r, "A.a"), 1, "sb is over B only")
        XCTAssertEqual(try value(r, "B.b"), 1, "(b − a)² has zero gradient at a = b")
        let r2 = try train(Self.twoSteps(schedule: "[sa]"))
        XCTAssertEqual(try value(r2, "B.b"), 1, "sa is over A only")
        XCTAssertNotEqual(try value(r2, "A.a"), 1)
    }

    func testAStepRepeatedInTheScheduleRunsThatOftenPerBatch() throws {
        let r = try train(Self.twoSteps(schedule: "[sa, sa]"))
        let m = try meanSquare()
        XCTAssertEqual(try value(r, "A.a"), 1 - 0.2 * m, accuracy: 1e-5)  // b = 1 throughout: two steps of 0.1·m
    }

    func testPhasesRunTheirScheduleForTheirEpochs() throws {
        let text = Self.twoSteps(schedule: "[sa]")
            .replacingOccurrences(of: "schedule: [sa]", with: "phases: [phase(schedule: [sa], epochs: 1), phase(schedule: [sb], epochs: 1)]")
            .replacingOccurrences(of: "  epochs: 1\n", with: "")
        let r = try train(text)
        let m = try meanSquare()
        let a1 = 1 - 0.1 * m  // epoch 1: sa alone; epoch 2: sb alone, seeing a₁
        XCTAssertEqual(try value(r, "A.a"), a1, accuracy: 1e-5)
        XCTAssertEqual(try value(r, "B.b"), 1 - 0.1 * 2 * (1 - a1) * m, accuracy: 1e-5)
        XCTAssertEqual(r.epochs.map { $0.metrics.keys.sorted() }, [["sa_loss"], ["sb_loss"]])
        XCTAssertThrowsError(try Trainer(registry: TestCompiler.registry).train(SourceFile(path: "t.dlg", text: text),
                                                                                 overrides: TrainOverrides(epochs: 3))) { error in
            XCTAssertEqual((error as? DLCError)?.message, "train section 't' runs in phases, which give the epochs; --epochs does not apply")
        }
    }

    /// A model with several outputs gives a tuple (`Features(image)[0]`); a step whose
    /// objective ends in cross_entropy is evaluated on the test split for accuracy.
    func testAClassificationStepIsEvaluatedOnTheTestSplit() throws {
        let text = """
            model Features {
              input image: f32[N, 1, 8, 8]
              output flat = flatten(image)
              output doubled = flatten(image) * 2
            }
            model Head {
              input x: f32[N, 64]
              input label: i32[N]
              output ce = cross_entropy(dense(x, 10), label)
            }
            train t {
              step fit: minimize Head(Features(image)[0], label) over Head
              data: digits(split: 0.8, seed: 1)
              optimizer: adam(lr: 0.01)
              batch: 32
              epochs: 3
            }
            """
        let r = try train(text)
        XCTAssertGreaterThan(try XCTUnwrap(r.testAccuracy), 0.85)
        XCTAssertLessThan(try XCTUnwrap(r.testLoss), 0.6)
    }

    /// A tiny GAN with in-graph noise and dropout: interrupted and resumed, it ends with
    /// exactly the parameters of an uninterrupted run.
    static let gan = """
        model G {
          input z: f32[N, 4]
          output image = dense(z, 64) |> sigmoid |> reshape([N, 1, 8, 8])
        }
        model D {
          input image: f32[N, 1, 8, 8]
          output score = dense(flatten(image), 8) |> relu |> dropout(rate: 0.2) |> dense(1)
        }
        train gan {
          step d: minimize mean(softplus(-D(real))) + mean(softplus(D(G(random_normal([N, 4]))))) over D
          step g: minimize mean(softplus(-D(G(random_normal([N, 4]))))) over G
          schedule: [d, g]
          data: digits(split: 0.5, seed: 1)
          optimizer: adam(lr: 0.01, beta1: 0.5)
          batch: 100
          epochs: 3
          seed: 3
          samples: grid(of: G, rows: 4, scale: 2)
        }
        """

    func testAnInterruptedRunResumesExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-steps-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let whole = try train(Self.gan, options: RunOptions(runsDirectory: dir + "/a"))
        var polls = 0
        var stopped: TrainInterrupted?
        do {
            _ = try train(Self.gan, options: RunOptions(runsDirectory: dir + "/b", shouldStop: { polls += 1; return polls == 12 }))
        } catch let e as TrainInterrupted { stopped = e }
        let run = try XCTUnwrap(stopped?.runDirectory, "the run was not interrupted")
        XCTAssertEqual(stopped?.step, 12)
        let resumed = try Trainer(registry: TestCompiler.registry).resume(run)
        XCTAssertEqual(Set(resumed.parameters.keys), Set(whole.parameters.keys))
        for (name, t) in whole.parameters { XCTAssertEqual(resumed.parameters[name]?.doubles, t.doubles, name) }
        XCTAssertEqual(resumed.epochs.map(\.metrics), whole.epochs.map(\.metrics))
        // The checkpoint holds each step's own optimizer state under its name.
        let (_, checkpoint) = try Checkpoint.latest(in: run)
        XCTAssertNotNil(checkpoint.state["d/train.step"])
        XCTAssertNotNil(checkpoint.state["g/train.step"])
    }

    func testSampleGridsAreWrittenEveryEpoch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-samples-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try train(Self.gan, options: RunOptions(runsDirectory: dir))
        let run = try XCTUnwrap(r.runDirectory)
        for epoch in 1...3 {
            let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: run + "/samples/epoch-00\(epoch).png")))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            // IHDR: 4 images of 8·2 pixels and a 1-pixel gap after each, plus the first gap.
            XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 69, 0, 0, 0, 69])
            let images = try Npy.read(run + "/samples/epoch-00\(epoch).npy").tensor
            XCTAssertEqual(images.shape, [16, 1, 8, 8])
            XCTAssertTrue(images.doubles.allSatisfy { $0 > 0 && $0 < 1 }, "sigmoid outputs")
        }
        // metrics.jsonl names the step of every line; the report draws a loss curve per step.
        let data = try RunReportData(path: run)
        XCTAssertEqual(Set(data.stepNames), ["d", "g"])
        XCTAssertEqual(data.steps.count, 2 * 3 * 9)  // two steps per batch, 3 epochs of 9 batches
        let page = RunReport.html(data)
        XCTAssertTrue(page.contains(">d loss</text>") && page.contains(">g loss</text>"))
        // dlc eval evaluates one model, so it says why it cannot take this run.
        XCTAssertThrowsError(try ModelEvaluator(registry: TestCompiler.registry).evaluate(run)) { error in
            XCTAssertTrue((error as? DLCError)?.message.contains("the run trained the steps of section 'gan' (several models)") == true, "\(error)")
        }
    }

    func testSampleGridErrorsNameTheSetting() throws {
        let cases: [(String, String)] = [
            ("grid(of: H)", "'samples' names model 'H', which the file does not define"),
            ("grid(of: G, show: score)", "'samples': model 'G' has no output 'score' (its outputs: image)"),
            ("grid(of: G, from: w)", "'samples': model 'G' has no input or named value 'w'"),
            ("grid(of: D)", "'samples': output 'score' of model 'D' is f32[N, 1], not images"),
            ("grid(rows: 4)", "'samples' needs 'of:' in a section with steps"),
            ("grid(of: G, rows: 64)", "'samples' draws at most 32 × 32 images"),
        ]
        for (setting, message) in cases {
            let text = Self.gan.replacingOccurrences(of: "grid(of: G, rows: 4, scale: 2)", with: setting)
            XCTAssertThrowsError(try train(text)) { error in
                XCTAssertTrue((error as? DLCError)?.message.contains(message) == true, "\(setting): \(error)")
            }
        }
    }

    /// A VAE's decoder is sampled by feeding noise to its code `z` (a named value, not an
    /// input): the sampling graph no longer needs the image.
    func testSamplesFromANamedValueInsideAModel() throws {
        let text = """
            model V {
              input image: f32[N, 1, 8, 8]
              h = dense(flatten(image), 8) |> relu
              mu = dense(h, 2)
              z = mu + random_normal([N, 2])
              output reconstruction = dense(z, 64) |> sigmoid
              loss l = mse(reconstruction, flatten(image))
            }
            train V {
              epochs: 1
              batch: 200
              samples: grid(from: z, rows: 2)
            }
            """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-vae-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try train(text, options: RunOptions(runsDirectory: dir))
        let images = try Npy.read(try XCTUnwrap(r.runDirectory) + "/samples/epoch-001.npy").tensor
        XCTAssertEqual(images.shape, [4, 64])
        let other = text.replacingOccurrences(of: "grid(from: z, rows: 2)", with: "grid(of: W, from: z)")
        XCTAssertThrowsError(try train(other)) { error in
            XCTAssertEqual((error as? DLCError)?.message, "'samples' names model 'W', but this section trains 'V'")
        }
    }

    func testAStepIsFedOneBatch() throws {
        // 'z' is a second floating-point name the data would have to feed.
        let text = Self.gan.replacingOccurrences(of: "mean(softplus(D(G(random_normal([N, 4]))))) over D", with: "mean(softplus(D(G(z)))) over D")
        XCTAssertThrowsError(try train(text)) { error in
            XCTAssertEqual((error as? DLCError)?.message,
                           "step 'd' reads 'real', 'z', but a step is fed one batch: its examples (one floating-point name) and labels (one integer name); draw noise in the objective, e.g. random_normal([N, 16])")
        }
    }

    /// dlc train -o: a .dlp plan holds one model, so a section with steps is refused before
    /// training (status 2); a .safetensors file takes all the models' parameters.
    func testOutputOfASectionWithStepsIsItsWeights() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-steps-o-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.gan.replacingOccurrences(of: "epochs: 3", with: "epochs: 1").write(toFile: dir + "/gan.dlg", atomically: true, encoding: .utf8)
        let plan = try DLCProcess.run(["train", dir + "/gan.dlg", "--no-record", "-o", dir + "/gan.dlp"])
        XCTAssertEqual(plan.status, 2)
        XCTAssertTrue(plan.stderr.contains("a section with steps trains several models, and a .dlp plan holds one"), plan.stderr)
        XCTAssertFalse(plan.stdout.contains("epoch 1/1"), "refused before training")
        let weights = try DLCProcess.run(["train", dir + "/gan.dlg", "--no-record", "-o", dir + "/gan.safetensors"])
        XCTAssertEqual(weights.status, 0, weights.stderr)
        let names = try Safetensors.read(dir + "/gan.safetensors").tensors.keys.sorted()
        XCTAssertEqual(names, ["D.score.dense.bias", "D.score.dense.weight", "D.score.dense_1.bias", "D.score.dense_1.weight",
                               "G.image.bias", "G.image.weight"])
    }

    /// dlc compile --emit train prints each step's training graph: its objective, the
    /// optimizer updates of its `over` models only.
    func testEmitTrainPrintsEachStepsTrainingGraph() throws {
        let r = TestCompiler.compile(Self.gan, options: CompileOptions(emit: .train))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        let graphs = r.output.components(separatedBy: "graph gan.").dropFirst()
        XCTAssertEqual(graphs.map { String($0.prefix(3)) }, ["d {", "g {"])
        let expected = [("D.score.dense.weight", "G.image.weight"), ("G.image.weight", "D.score.dense.weight")]
        for (text, (trained, fixed)) in zip(graphs, expected) {
            XCTAssertTrue(text.contains("output train.loss"))
            XCTAssertTrue(text.contains("update \(trained) ="), "\(trained) is updated")
            XCTAssertFalse(text.contains("update \(fixed) ="), "\(fixed) is not")
        }
    }

    func testSettingsForOneModelAreRefusedWithSteps() throws {
        let text = Self.gan.replacingOccurrences(of: "epochs: 3", with: "epochs: 3\n  validation: 0.1")
        XCTAssertThrowsError(try train(text)) { error in
            XCTAssertEqual((error as? DLCError)?.message,
                           "train section 'gan' has steps; 'validation' applies to training one model and is not supported with steps")
        }
        let counted = Self.gan.replacingOccurrences(of: "epochs: 3", with: "epochs: 3\n  steps: 10")
        XCTAssertThrowsError(try train(counted)) { error in
            XCTAssertEqual((error as? DLCError)?.message,
                           "train section 'gan' has steps; 'steps' applies to training one model and is not supported with steps")
        }
    }
}
