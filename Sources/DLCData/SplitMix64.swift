/// The seeded generator behind every shuffle in DLCData: SplitMix64 (Steele, Lea & Flood,
/// "Fast splittable pseudorandom number generators", OOPSLA 2014). The state advances by
/// 0x9E3779B97F4A7C15 per draw and each output is the state mixed by two xor-shift-multiply
/// rounds. It is the same on every platform and Swift version, so a seed gives the same
/// splits and batch orders everywhere (the standard library's generator promises neither).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The current state.
    public private(set) var state: UInt64

    /// A generator starting at `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for a signed seed (as a train section's `seed:` gives it): its bit pattern.
    public init(seed: Int) { state = UInt64(bitPattern: Int64(seed)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<n (Lemire's multiply-and-reject, no modulo bias).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "SplitMix64.below: n must be positive")
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = next().multipliedFullWidth(by: bound)
            if r.low >= threshold { return Int(r.high) }
        }
    }

    /// A permutation of 0..<n by Fisher–Yates: for i from n−1 down to 1, swap i with
    /// `below(i + 1)`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, through: 1, by: -1) { p.swapAt(i, below(i + 1)) } }
        return p
    }
}
