#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader never sees a partial one (diagrams, plan files, outputs,
/// checkpoints): the bytes go to a fresh temporary file in the same directory (`mkstemp`),
/// are flushed to disk, and the file is renamed over the destination. On any failure the
/// temporary file is removed and the destination is untouched.
public enum AtomicFile {
    /// - Throws: `DLCError` naming the path and the cause.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let dir: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            dir = "."
        }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(dir)/.\(base).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure(path, errno) }
        let temp = String(cString: template)
        var done = false
        defer { if !done { unlink(temp) } }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw failure(path, e)
            }
            written += n
        }
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            throw failure(path, e)
        }
        guard close(fd) == 0 else { throw failure(path, errno) }
        guard rename(temp, path) == 0 else { throw failure(path, errno) }
        done = true
    }

    /// Creates a directory and its parents if missing.
    /// - Throws: `DLCError` when a part of the path is a file or cannot be created.
    public static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + part
            var st = stat()
            if stat(current, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw DLCError("cannot create directory '\(path)': '\(current)' is a file")
                }
                continue
            }
            guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                throw DLCError("cannot create directory '\(path)': \(String(cString: strerror(errno)))")
            }
        }
    }

    static func failure(_ path: String, _ code: Int32) -> DLCError {
        DLCError("cannot write '\(path)': \(String(cString: strerror(code)))")
    }
}
