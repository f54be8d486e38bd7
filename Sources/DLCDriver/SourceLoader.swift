import DLCCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a source file for the compiler, turning every way it can fail into a message.
public enum SourceLoader {
    /// Files larger than this are refused (a `.dlg` file is text written by people).
    public static let maxBytes = 64 << 20

    /// - Parameter limit: the largest size accepted (`maxBytes` for sources; plan files pass more).
    /// - Throws: `DLCError` naming the path and the cause (missing, a directory, unreadable, too large).
    public static func load(path: String, limit: Int = maxBytes) throws -> SourceFile {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw DLCError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw DLCError("cannot read '\(path)': it is a directory") }
        guard let f = fopen(path, "rb") else {
            throw DLCError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n > 0 { bytes += buffer[0..<n] }
            if bytes.count > limit { throw DLCError("cannot read '\(path)': larger than \(limit >> 20) MiB") }
            if n < buffer.count {
                if ferror(f) != 0 { throw DLCError("cannot read '\(path)': read error") }
                break
            }
        }
        return SourceFile(path: path, bytes: bytes)
    }
}
