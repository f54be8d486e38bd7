import DLCCore
import DLCDriver

/// One epoch of a run, as logged.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    /// Mean training loss over the epoch's steps.
    public var loss: Double
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
    public var seconds: Double
    /// The validation split's metrics (`val_loss`, `val_accuracy`, `val_f1`, …).
    public var metrics: [String: Double] = [:]
}

/// Where a run is, reported after every step (for a live progress bar).
public struct TrainProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var samplesPerSecond: Double
    /// Estimated seconds until the last epoch ends.
    public var eta: Double
}

/// The outcome of `Trainer.train`.
public struct TrainResult {
    public var model: String
    public var epochs: [EpochRecord]
    /// Accuracy on the test split with the final parameters (nil without a test split).
    public var testAccuracy: Double?
    /// Mean loss on the test split with the final parameters.
    public var testLoss: Double?
    /// Wall-clock seconds of the training epochs.
    public var seconds: Double
    /// The final parameters and state, by name.
    public var parameters: [String: HostTensor]
    public var config: TrainConfig
    /// The run's directory when it was recorded.
    public var runDirectory: String?
    /// The test split's metrics (those of the `metrics:` list that apply, and `loss`).
    public var testMetrics: [(name: String, value: Double)] = []
    /// The epoch early stopping kept (`best.safetensors`), when it stopped the run.
    public var stoppedEarlyAt: Int?
    public var bestEpoch: Int?
    /// The source trained (for a resumed run, the run's copy).
    public var source: SourceFile?
}

/// How a run is recorded and controlled.
public struct RunOptions {
    /// The directory the run's directory is made in (nil: the run is not recorded).
    public var runsDirectory: String?
    /// A run directory to continue from its newest checkpoint.
    public var resume: String?
    /// Record the run in exactly this directory (a sweep's `trials/<index>/`) instead of a
    /// new `<model>-<timestamp>` directory in `runsDirectory`.
    public var runDirectory: String?
    /// dlc's version, for `environment.json`.
    public var version: String
    /// Polled after every step: true saves a checkpoint and ends the run with `TrainInterrupted`.
    public var shouldStop: () -> Bool

    public init(runsDirectory: String? = nil, resume: String? = nil, version: String = "unknown",
                runDirectory: String? = nil, shouldStop: @escaping () -> Bool = { false }) {
        self.runsDirectory = runsDirectory
        self.resume = resume
        self.runDirectory = runDirectory
        self.version = version
        self.shouldStop = shouldStop
    }
}

/// The run was interrupted (`RunOptions.shouldStop`); a checkpoint was saved.
public struct TrainInterrupted: Error {
    public var runDirectory: String?
    public var step: Int
    public var epoch: Int
}

/// The file did not compile; `text` holds the diagnostics.
public struct CompileFailure: Error {
    public var text: String
}
