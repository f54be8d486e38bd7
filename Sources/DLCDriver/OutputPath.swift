#if canImport(Glibc)
import Glibc
#endif
import DLCCore

/// Checks of paths given on the command line, made before any work starts, so that a typo
/// in an output path does not cost a whole training run. Failures are usage errors.
public enum OutputPath {
    /// The file can be created or replaced: its directory exists and is writable, and the
    /// path is not a directory.
    public static func check(_ path: String) throws {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw UsageError("cannot write '\(path)': it is a directory")
        }
        guard stat(dir.isEmpty ? "/" : dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw UsageError("cannot write '\(path)': no directory '\(dir)'")
        }
        guard access(dir.isEmpty ? "/" : dir, W_OK) == 0 else {
            throw UsageError("cannot write '\(path)': the directory '\(dir)' is not writable")
        }
    }

    /// The file exists and is a readable file.
    public static func checkReadable(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw UsageError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { throw UsageError("cannot read '\(path)': it is a directory") }
        guard access(path, R_OK) == 0 else { throw UsageError("cannot read '\(path)': permission denied") }
    }
}

/// A mistake in how a command was called (a path that cannot be used, say): exit status 2.
public struct UsageError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
