import Foundation

/// One axis of a chart: its label, its scale and how data values map onto it.
public struct ChartAxis {
    public enum Scale: Equatable {
        case linear
        /// Base-10 logarithmic (all values must be positive).
        case log
        /// Named positions 0, 1, 2, … (e.g. the values of a string setting).
        case categories([String])
    }

    public var label: String
    public var scale: Scale
    /// A fixed domain (e.g. 0…1 for rates); nil: fitted to the data with round ends.
    public var range: ClosedRange<Double>?
    /// Counts (epochs, steps): ticks only at whole numbers.
    public var integer: Bool

    public init(_ label: String, scale: Scale = .linear, range: ClosedRange<Double>? = nil, integer: Bool = false) {
        self.label = label
        self.scale = scale
        self.range = range
        self.integer = integer
    }

    /// Log scale when every value is positive and they span a factor of ten or more.
    public static func suggestedScale(for values: [Double]) -> Scale {
        guard let lo = values.min(), let hi = values.max(), lo > 0, hi / lo >= 10 else { return .linear }
        return .log
    }

    /// The domain shown and the ticks in it (value, label), for data values `values`.
    func layout(_ values: [Double]) -> (domain: ClosedRange<Double>, ticks: [(Double, String)]) {
        switch scale {
        case .categories(let names):
            let ticks = names.enumerated().map { (Double($0.offset), $0.element) }
            return (-0.5...(Double(max(names.count, 1)) - 0.5), ticks)
        case .log:
            let positive = values.filter { $0 > 0 && $0.isFinite }
            let lo = range?.lowerBound ?? positive.min() ?? 1, hi = range?.upperBound ?? positive.max() ?? 10
            let a = floor(log10(lo)), b = max(ceil(log10(hi)), a + 1)
            let domain = range ?? pow(10, a)...pow(10, b)
            var ticks: [(Double, String)] = []
            for e in stride(from: a, through: b, by: 1) {
                let decade = pow(10, e)
                let multiples: [Double] = b - a <= 1 ? [1, 2, 5] : (b - a <= 2 ? [1, 3] : [1])
                for m in multiples where domain.contains(m * decade) { ticks.append((m * decade, HTML.number(m * decade))) }
            }
            return (domain, ticks)
        case .linear:
            let finite = values.filter(\.isFinite)
            var lo = range?.lowerBound ?? finite.min() ?? 0, hi = range?.upperBound ?? finite.max() ?? 1
            if hi - lo < 1e-12 * max(1, abs(hi)) {
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= pad; hi += pad
            }
            let step = integer ? max(1, Self.niceStep((hi - lo) / 5)) : Self.niceStep((hi - lo) / 5)
            let domain = range ?? (floor(lo / step) * step)...(ceil(hi / step) * step)
            var ticks: [(Double, String)] = []
            var t = ceil(domain.lowerBound / step - 1e-9) * step
            while t <= domain.upperBound + step * 1e-9 {
                ticks.append((t, HTML.number(abs(t) < step * 1e-9 ? 0 : t)))
                t += step
            }
            return (domain, ticks)
        }
    }

    /// 1, 2 or 5 times a power of ten, near `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = pow(10, floor(log10(raw)))
        let f = raw / p
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p
    }

    /// Where a value falls in the domain, 0…1 (clamped).
    func fraction(_ v: Double, in domain: ClosedRange<Double>) -> Double {
        let f: Double
        if scale == .log {
            let lo = log10(domain.lowerBound), hi = log10(domain.upperBound)
            f = (log10(max(v, domain.lowerBound)) - lo) / max(hi - lo, 1e-12)
        } else {
            f = (v - domain.lowerBound) / max(domain.upperBound - domain.lowerBound, 1e-300)
        }
        return min(max(f, 0), 1)
    }
}
