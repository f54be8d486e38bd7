import DLCDriver
import Foundation

/// The learning rate of each step, from the train section's `lr_schedule` (computed on the
/// host and fed to the training graph's `train.lr` input):
/// - none: constant
/// - `step(every: E, gamma: g)`: lr · g^⌊(epoch − 1) / E⌋ (E in epochs, g default 0.1)
/// - `exponential(gamma: g)`: lr · g^(epoch − 1)
/// - `cosine(steps: S, min_lr: m)`: m + (lr − m)(1 + cos(π · min(t, S) / S)) / 2 over S steps
///   (default: the whole run)
/// - `warmup(steps: W)`: lr · min(1, (t + 1) / W)
struct LearningRateSchedule {
    enum Kind {
        case constant, step(every: Int, gamma: Double), exponential(gamma: Double)
        case cosine(steps: Int?, minLR: Double), warmup(steps: Int)
    }

    let base: Double
    let kind: Kind
    let epochs: Int

    init(config: TrainConfig) {
        base = config.training.optimizer.lr
        epochs = config.epochs
        guard case .call(let name, let args)? = config.section?.settings["lr_schedule"] else {
            kind = .constant
            return
        }
        func n(_ k: String) -> Double? { TrainConfig.number(args[k]) }
        switch name {
        case "step": kind = .step(every: Int(n("every") ?? 1), gamma: n("gamma") ?? 0.1)
        case "exponential": kind = .exponential(gamma: n("gamma") ?? 0.95)
        case "cosine": kind = .cosine(steps: n("steps").map { Int($0) }, minLR: n("min_lr") ?? 0)
        case "warmup": kind = .warmup(steps: Int(n("steps") ?? 1))
        default: kind = .constant
        }
    }

    func rate(epoch: Int, step t: Int, stepsPerEpoch: Int) -> Double {
        switch kind {
        case .constant: return base
        case .step(let every, let gamma): return base * pow(gamma, Double((epoch - 1) / max(1, every)))
        case .exponential(let gamma): return base * pow(gamma, Double(epoch - 1))
        case .cosine(let steps, let minLR):
            let total = Double(steps ?? max(1, epochs * stepsPerEpoch))
            return minLR + (base - minLR) * (1 + cos(Double.pi * min(Double(t), total) / total)) / 2
        case .warmup(let steps): return base * min(1, Double(t + 1) / Double(max(1, steps)))
        }
    }
}
