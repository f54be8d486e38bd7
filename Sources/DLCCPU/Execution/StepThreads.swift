// Small oneDNN steps run on one thread. Forking the OpenMP team and meeting at its barrier
// costs microseconds — as much as a whole convolution of LeNet-5 at batch 1 — and on a shared
// machine a barrier waits for whichever thread the scheduler took away. A step whose work is
// below `singleThreadWork` multiply-adds is created and run with one OpenMP thread (oneDNN
// sizes a primitive's threads and scratchpad when it is created, so both must agree).
import CDNNL

extension PlanStep {
    /// Multiply-adds (window visits for pooling) of a step oneDNN runs; nil for the steps our
    /// own single-threaded kernels run, which are left as they are.
    func oneDNNWork() -> Int? {
        let a = ints
        switch kernel {
        case .convolution, .deconvolution, .convolutionBackwardWeight:
            // [N, C, H, W, OC, KH, KW, OH, OW, …, groups at 17]
            return a[0] * a[4] * a[7] * a[8] * (a[1] / max(a[17], 1)) * a[5] * a[6]
        case .pooling:
            // [isMax, N, C, H, W, KH, KW, OH, OW, …]
            return a[1] * a[2] * a[7] * a[8] * a[5] * a[6]
        case .matmul:
            // [dtype, batches, M, N, K, …]
            return a[1] * a[2] * a[3] * a[4]
        case .fusedMatmul:
            // [nsteps, (kind, operand, code) per step, the matmul's ints…]
            let m = Array(a[(1 + 3 * a[0])...])
            return m[1] * m[2] * m[3] * m[4]
        default:
            return nil
        }
    }
}

/// Below this many multiply-adds a oneDNN step runs on one thread (about 2 µs of one core).
let singleThreadWork = 1 << 18

/// Runs `body` with the calling thread's OpenMP team capped at one thread, then restores `threads`.
@inline(__always)
func withOneThread<T>(restoring threads: Int32, _ body: () throws -> T) rethrows -> T {
    omp_set_num_threads(1)
    defer { omp_set_num_threads(threads) }
    return try body()
}
