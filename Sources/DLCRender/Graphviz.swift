import CGraphviz
import DLCCore
#if canImport(Glibc)
import Glibc
#endif

/// The formats `dlc render` writes, chosen by the output file's extension.
public enum OutputFormat: String, CaseIterable, Sendable {
    case svg, png, pdf, dot

    /// The format of a path's extension (`model.svg` → `.svg`), nil for any other.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        self.init(rawValue: path[path.index(after: dot)...].lowercased())
    }
}

/// An error of rendering or writing a diagram; its text is the whole message.
public struct RenderError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Layout and rendering through libgvc, in-process (no `dot` executable).
public enum Graphviz {
    /// Lays out DOT text with the `dot` engine and renders it (`svg`, `png`, `pdf`, or any
    /// other format name libgvc knows). `.dot` returns the text itself.
    public static func render(dot text: String, format: OutputFormat) throws -> [UInt8] {
        if format == .dot { return Array(text.utf8) }
        return try render(dot: text, format: format.rawValue)
    }

    public static func render(dot text: String, format: String) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        agseterr(AGMAX)  // errors surface as a nil graph or a failed layout, not on stderr
        guard let gvc = gvContext() else { throw RenderError("cannot create a Graphviz context") }
        defer { gvFreeContext(gvc) }
        var bytes = Array(text.utf8CString)
        guard let g = bytes.withUnsafeMutableBufferPointer({ agmemread($0.baseAddress) }) else {
            throw RenderError("Graphviz cannot read the diagram: \(lastError() ?? "syntax error")")
        }
        defer { agclose(g) }
        guard gvLayout(gvc, g, "dot") == 0 else {
            throw RenderError("Graphviz layout failed: \(lastError() ?? "unknown error")")
        }
        defer { gvFreeLayout(gvc, g) }
        var result: UnsafeMutablePointer<CChar>?
        var length: UInt32 = 0
        guard gvRenderData(gvc, g, format, &result, &length) == 0, let result else {
            throw RenderError("Graphviz cannot render format '\(format)': \(lastError() ?? "no renderer installed")")
        }
        defer { gvFreeRenderData(result) }
        return result.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }

    /// Graphviz keeps global state (its error buffer, the plugin list): one render at a time.
    private static let lock = Lock()

    private static func lastError() -> String? {
        guard let p = aglasterr() else { return nil }
        let s = String(cString: p).trimmingTrailingNewlines()
        return s.isEmpty ? nil : s
    }
}

/// A pthread mutex (DLCRender avoids Foundation).
final class Lock: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    func lock() { pthread_mutex_lock(&m) }
    func unlock() { pthread_mutex_unlock(&m) }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == " " { s = s.dropLast() }
        return String(s)
    }
}

// Files are written with DLCCore's AtomicFile.

