import DLCCore
import DLCData
import DLCFrontend
import Foundation

/// The trials of a sweep: each one the values of the swept names, in declaration order.
public enum SweepPlan {
    /// One trial's settings.
    public typealias Settings = [(name: String, value: StaticValue)]

    /// A grid's trials are the cartesian product of the value lists, the first swept name
    /// varying slowest (as `itertools.product`); a random search's are `trials` draws from a
    /// `SplitMix64` seeded with the sweep's seed, so a seed always gives the same trials.
    public static func trials(_ spec: SweepSpec) -> [Settings] {
        switch spec.kind {
        case .grid: grid(spec.parameters)
        case .random: random(spec.parameters, trials: spec.trials ?? 1, seed: spec.seed)
        }
    }

    static func grid(_ parameters: [SweepParameter]) -> [Settings] {
        var out: [Settings] = [[]]
        for p in parameters {
            let values = p.domain.gridValues ?? []
            out = out.flatMap { prefix in values.map { prefix + [(p.name, $0)] } }
        }
        return out
    }

    static func random(_ parameters: [SweepParameter], trials: Int, seed: Int) -> [Settings] {
        var rng = SplitMix64(seed: seed)
        return (0..<trials).map { _ in parameters.map { ($0.name, draw($0.domain, &rng)) } }
    }

    /// One value of a domain. Drawn numbers keep 4 significant digits (readable in tables,
    /// and still inside the range: the bounds themselves are valid values).
    static func draw(_ domain: SweepDomain, _ rng: inout SplitMix64) -> StaticValue {
        func unit() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
        switch domain {
        case .values(let v): return v[rng.below(v.count)]
        case .intRange(let lo, let hi, let step): return .int(lo + step * rng.below((hi - lo) / step + 1))
        case .uniform(let lo, let hi): return .float(min(hi, max(lo, significant(lo + unit() * (hi - lo)))))
        case .logUniform(let lo, let hi):
            return .float(min(hi, max(lo, significant(exp(log(lo) + unit() * (log(hi) - log(lo)))))))
        }
    }

    /// `v` rounded to 4 significant digits.
    static func significant(_ v: Double) -> Double {
        guard v != 0, v.isFinite else { return v }
        return Double(String(format: "%.3e", v)) ?? v
    }
}
