// Weights and images defined by a formula of the tensor's name and element index, so that a
// model here and its counterpart in PyTorch get bit-identical values without a weights file.
// scripts/make-resnet-reference.py computes exactly the same formula in NumPy; change both.
import DLCCore
import Foundation

/// Deterministic ResNet weights and input images by formula (see scripts/make-resnet-reference.py).
///
/// - `seed(name)`: the FNV-1a 32-bit hash of the name's UTF-8 bytes.
/// - `u(name, i) = fmix32((i · 0x9E3779B1 + seed(name)) mod 2³²) / 2³²` in [0, 1), where `i` is
///   the row-major element index and `fmix32` is MurmurHash3's 32-bit finalizer; `s = 2u − 1`.
/// - Convolution and `fc` weights (rank ≥ 2): `sqrt(6 / fan_in) · s` with `fan_in` = elements / shape[0].
/// - `fc.bias`: `0.01 · s`; batch norm `bias` and `running_mean`: `0.1 · s`; `running_var`: `1 + 0.5 u`.
/// - Batch norm `weight`: `0.6 + 0.4 u`, but `0.4 + 0.4 u` for the last batch norm of a residual
///   branch (`bn2` of a basic block, `bn3` of a bottleneck), which keeps activations O(1).
/// - Image `[n, c, y, x]`: `sin(0.05 (n+1) y + 0.03 (c+1) x + n) + 0.5 s("image", i)`.
///
/// Every value is computed in double precision and rounded to f32 once, as NumPy does.
public enum FormulaWeights {
    /// FNV-1a, 32 bits, of the UTF-8 bytes of `name`.
    public static func seed(_ name: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in name.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    /// `u(name, i)` for i in 0..<count, uniform in [0, 1).
    public static func uniform(_ name: String, count: Int) -> [Double] {
        map(name, count: count) { $0 }
    }

    /// `f(u(name, i))` for i in 0..<count, in one tight loop: the ResNet-50 weights
    /// are 25 million values and the test support is built without optimization.
    static func map<T>(_ name: String, count: Int, _ f: (Double) -> T) -> [T] {
        let s = seed(name)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            var h0 = s
            for i in 0..<count {
                var h = h0
                h ^= h >> 16
                h = h &* 0x85EB_CA6B
                h ^= h >> 13
                h = h &* 0xC2B2_AE35
                h ^= h >> 16
                (buffer.baseAddress! + i).initialize(to: f(Double(h) / 4_294_967_296))
                h0 = h0 &+ 0x9E37_79B1  // (i + 1) · 0x9E3779B1 + seed, mod 2³²
            }
            initialized = count
        }
    }

    /// The value of a torchvision ResNet parameter or buffer named `name` (torchvision's
    /// `state_dict` names) of `shape`, in a net whose blocks are `bottleneck`s or basic blocks.
    public static func resnetTensor(_ name: String, shape: [Int], bottleneck: Bool) throws -> HostTensor {
        let n = shape.reduce(1, *)
        let leaf = name.split(separator: ".").last.map(String.init) ?? name
        let values: [Float]
        switch leaf {
        case "weight" where shape.count >= 2:
            let scale = (6.0 / Double(n / shape[0])).squareRoot()
            values = map(name, count: n) { Float(scale * (2 * $0 - 1)) }
        case "weight":
            let (low, width) = isLastBatchNorm(name, bottleneck: bottleneck) ? (0.4, 0.4) : (0.6, 0.4)
            values = map(name, count: n) { Float(low + width * $0) }
        case "bias" where name.hasPrefix("fc."):
            values = map(name, count: n) { Float(0.01 * (2 * $0 - 1)) }
        case "bias", "running_mean":
            values = map(name, count: n) { Float(0.1 * (2 * $0 - 1)) }
        case "running_var":
            values = map(name, count: n) { Float(1 + 0.5 * $0) }
        default:
            throw DLCError("no formula for the ResNet tensor '\(name)'")
        }
        return HostTensor(shape: shape, f32: values)
    }

    /// `layerK.B.bn2` (basic blocks) or `layerK.B.bn3` (bottlenecks): the last batch norm of a branch.
    static func isLastBatchNorm(_ name: String, bottleneck: Bool) -> Bool {
        let parts = name.split(separator: ".")
        return name.hasPrefix("layer") && parts.count >= 2 && parts[parts.count - 2] == (bottleneck ? "bn3" : "bn2")
    }

    /// The batch of images `[batch, channels, height, width]`: a different wave per image plus noise.
    public static func image(batch: Int, channels: Int, height: Int, width: Int) -> HostTensor {
        let noise = uniform("image", count: batch * channels * height * width)
        var values: [Float] = []
        values.reserveCapacity(noise.count)
        for n in 0..<batch {
            for c in 0..<channels {
                for y in 0..<height {
                    for x in 0..<width {
                        let wave = sin(0.05 * Double(n + 1) * Double(y) + 0.03 * Double(c + 1) * Double(x) + Double(n))
                        values.append(Float(wave + 0.5 * (2 * noise[values.count] - 1)))
                    }
                }
            }
        }
        return HostTensor(shape: [batch, channels, height, width], f32: values)
    }
}
