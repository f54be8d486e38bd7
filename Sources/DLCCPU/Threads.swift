// Thread policy of the CPU back end: oneDNN runs its primitives on OpenMP (libgomp) threads;
// the executor caps them at the machine's cores once, and its own kernels are single-threaded,
// so the two never oversubscribe the cores.
import CDNNL
import Foundation

/// Process-wide thread settings of the CPU back end.
public enum CPUThreads {
    nonisolated(unsafe) private static var configured = false
    private static let lock = NSLock()

    /// Caps oneDNN's OpenMP threads at `count` (default: the active processor count). Called
    /// by every executor before its first run; calling it again changes the cap.
    public static func configure(count: Int = ProcessInfo.processInfo.activeProcessorCount) {
        lock.lock(); defer { lock.unlock() }
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

    /// The current cap of OpenMP threads.
    public static var maxThreads: Int { Int(omp_get_max_threads()) }
}
