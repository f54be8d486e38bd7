#if canImport(Glibc)
import Glibc
#endif

/// The process's memory use, as the kernel reports it.
public enum ProcessMemory {
    /// Peak resident set size (getrusage's ru_maxrss, in KiB on Linux), in bytes.
    public static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    /// Current resident set size (the second field of /proc/self/statm, in pages), in bytes;
    /// 0 where unavailable.
    public static var residentBytes: Int {
        guard let f = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, 128, f) != nil else { return 0 }
        let fields = String(cString: buffer).split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
