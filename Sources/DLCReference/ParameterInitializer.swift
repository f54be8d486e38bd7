// Initial values of parameters, from each `param` node's `init` attribute.
import DLCCore
import Foundation

/// Draws initial parameter values the way PyTorch does for the same initializer names.
public enum ParameterInitializer {
    /// Initial values of every `param` node, deterministic for a seed (uses each param's `init`
    /// attribute and PyTorch's fan convention; see Initializer.swift). Each parameter draws from
    /// its own stream seeded by `seed` and its name, so adding a parameter changes no other.
    /// A parameter with symbolic dimensions takes them as 1.
    public static func initialize(_ graph: Graph, seed: UInt64) -> [String: HostTensor] {
        var out: [String: HostTensor] = [:]
        for node in graph.paramNodes {
            guard let name = node.attributes["name"]?.stringValue else { continue }
            let type = graph[node.outputs[0]].type
            let shape = type.shape.map { $0.value ?? 1 }
            let initializer = node.attributes["init"].flatMap(Initializer.init(attribute:)) ?? .zeros
            out[name] = tensor(initializer, shape: shape, dtype: type.dtype, seed: mixSeed(seed, stableHash(name)))
        }
        return out
    }

    /// PyTorch's fans of a weight `[out, in, k...]`: fan-in = in·k…, fan-out = out·k…
    /// (a vector has both equal to its length, a scalar 1).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        default:
            let receptive = shape.dropFirst(2).reduce(1, *)
            return (shape[1] * receptive, shape[0] * receptive)
        }
    }

    /// A tensor filled by one initializer.
    public static func tensor(_ initializer: Initializer, shape: [Int], dtype: DType, seed: UInt64) -> HostTensor {
        var rng = RandomSource(seed: seed)
        let n = shape.reduce(1, *)
        let (fanIn, fanOut) = fans(shape)
        func uniform(_ lo: Double, _ hi: Double) -> [Double] { (0..<n).map { _ in lo + (hi - lo) * rng.nextDouble() } }
        func normal(_ mean: Double, _ std: Double) -> [Double] { (0..<n).map { _ in mean + std * rng.normal() } }
        let values: [Double]
        switch initializer {
        case .zeros: values = Array(repeating: 0, count: n)
        case .ones: values = Array(repeating: 1, count: n)
        case .constant(let v): values = Array(repeating: v, count: n)
        case .uniform(let lo, let hi): values = uniform(lo, hi)
        case .normal(let m, let s): values = normal(m, s)
        case .glorotUniform:
            let b = (6.0 / Double(fanIn + fanOut)).squareRoot()
            values = uniform(-b, b)
        case .glorotNormal: values = normal(0, (2.0 / Double(fanIn + fanOut)).squareRoot())
        case .heUniform:
            let b = (6.0 / Double(fanIn)).squareRoot()
            values = uniform(-b, b)
        case .heNormal: values = normal(0, (2.0 / Double(fanIn)).squareRoot())
        case .fanInUniform:
            let b = 1 / Double(fanIn).squareRoot()
            values = uniform(-b, b)
        }
        return HostTensor.from(values, shape: shape, dtype: dtype)
    }
}
