// Thread policy of the CPU back end: oneDNN runs its primitives on OpenMP (libgomp) threads;
// the executor caps them at the cores this process may run on once (OMP_NUM_THREADS if set,
// else the CPU affinity mask — under `taskset` or a container's cpuset that is fewer than the
// machine's cores, and two threads sharing one core wait a scheduler slice at every barrier),
// and its own kernels are single-threaded except dlc_fused_multi, which runs on libgomp's
// pool under the same cap, so the two never oversubscribe the cores.
import CDNNL
import Foundation
import CKernels

/// Process-wide thread settings of the CPU back end.
public enum CPUThreads {
    nonisolated(unsafe) private static var configured = false
    private static let lock = NSLock()

    /// Caps oneDNN's OpenMP threads at `count` (default: `availableCores`). Called by every
    /// executor before its first run; calling it again changes the cap.
    public static func configure(count: Int = availableCores) {
        lock.lock(); defer { lock.unlock() }
        // oneDNN splits its work over exactly the threads it asked for: a team libgomp shrinks
        // (OMP_DYNAMIC=true) leaves work undone or waits forever at oneDNN's own barriers.
        omp_set_dynamic(0)
        omp_set_num_threads(Int32(max(1, count)))
        configured = true
    }

    /// Configures the default cap unless it was set already.
    static func ensureConfigured() {
        lock.lock()
        let done = configured
        lock.unlock()
        if !done { configure() }
    }

    /// The threads to use by default: OMP_NUM_THREADS when it is a positive number, else the
    /// CPUs of this process's affinity mask (Linux), else the active processor count.
    public static var availableCores: Int {
        if let v = ProcessInfo.processInfo.environment["OMP_NUM_THREADS"], let n = Int(v.split(separator: ",").first ?? ""), n > 0 {
            return n
        }
        let all = ProcessInfo.processInfo.activeProcessorCount
        let mask = Int(dlc_affinity_cpu_count())
        return mask > 0 ? min(mask, all) : all
    }

    /// The current cap of OpenMP threads.
    public static var maxThreads: Int { Int(omp_get_max_threads()) }
}
