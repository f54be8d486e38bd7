#if canImport(Glibc)
import Glibc
#endif
import DLCExperiment

/// A one-line progress display for `dlc train` on a terminal: epoch, a bar over the epoch's
/// steps, loss, samples/s and the time left. Redrawn at most ten times a second; off when
/// standard output is not a terminal (then only the per-epoch lines are printed).
final class ProgressBar {
    let enabled: Bool
    private var lastDraw = ContinuousClock.now
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: TrainProgress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard p.step == p.steps || now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        let width = 24
        let filled = p.steps > 0 ? width * p.step / p.steps : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let loss = (p.loss * 10000).rounded() / 10000
        let line = "epoch \(p.epoch)/\(p.epochs) \(bar) \(p.step)/\(p.steps)  loss \(loss)  \(Int(p.samplesPerSecond)) samples/s  ETA \(Int(p.eta.rounded()))s"
        FileHandle.standardOutput.write("\r\u{1B}[2K" + line)
        drawn = true
    }

    /// Erases the bar before a normal line is printed.
    func clear() {
        guard enabled, drawn else { return }
        FileHandle.standardOutput.write("\r\u{1B}[2K")
        drawn = false
    }
}
