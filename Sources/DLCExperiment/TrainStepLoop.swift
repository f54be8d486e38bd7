/// What `Trainer` and `MultiStepTrainer` do alike around their training steps: the run's
/// clock (counting the seconds and steps of the run it resumes), progress with speed and ETA
/// after each step, and the checkpoints of Ctrl-C and of `checkpoint_every`.
struct TrainStepLoop {
    let clock = ContinuousClock()
    let runStart: ContinuousClock.Instant
    let secondsBefore: Double
    let stepsBefore: Int

    init(resuming position: Checkpoint.Position) {
        runStart = clock.now
        secondsBefore = position.seconds
        stepsBefore = position.step
    }

    /// Seconds trained so far, the resumed run's included.
    var seconds: Double { secondsBefore + (clock.now - runStart).seconds }

    /// After batch `k` of the epoch's `batches` (`position` counts the step already): reports
    /// progress towards `totalSteps` steps of the whole run; when `shouldStop` says so, saves
    /// a checkpoint and throws `TrainInterrupted`; every `every` steps (not after an epoch's
    /// last batch, whose checkpoint the epoch's end writes) saves one. `save` receives the
    /// seconds trained, for the position it writes.
    func afterStep(_ position: Checkpoint.Position, epoch: Int, epochs: Int, batch k: Int, batches: Int, totalSteps: Int,
                   batchSize: Int, every: Int?, runDirectory: String?, shouldStop: () -> Bool,
                   progress: (TrainProgress) -> Void, save: (Double) throws -> Void) throws {
        let elapsed = (clock.now - runStart).seconds
        let done = Double(position.step - stepsBefore)
        let total = Double(totalSteps - stepsBefore)
        progress(TrainProgress(epoch: epoch, epochs: epochs, step: k + 1, steps: batches,
                               loss: position.lossSum / Double(max(1, position.seen)),
                               samplesPerSecond: done * Double(batchSize) / max(elapsed, 1e-9),
                               eta: elapsed / max(done, 1) * (total - done)))
        if shouldStop() {
            try save(seconds)
            throw TrainInterrupted(runDirectory: runDirectory, step: position.step, epoch: epoch)
        }
        if let every, position.step % every == 0, k + 1 < batches { try save(seconds) }
    }
}
