/// A source text with its path, and the mapping from byte offsets to 1-based lines and columns.
public final class SourceFile: @unchecked Sendable {
    /// The path as the user gave it; diagnostics print it verbatim.
    public let path: String
    /// The text as UTF-8 bytes. Invalid UTF-8 is kept byte for byte; the lexer reports it.
    public let bytes: [UInt8]
    private let lineStarts: [Int]

    /// Creates a source file from raw bytes.
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// Creates a source file from a string.
    public convenience init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The 1-based line and column of a byte offset (columns count bytes, as Clang's do).
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        let offset = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }

    /// The text of a 1-based line, without its newline; invalid UTF-8 is repaired for display.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// The source text of a range.
    public func text(of range: SourceRange) -> String {
        let lo = max(0, min(range.start, bytes.count)), hi = max(lo, min(range.end, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }
}

/// A half-open byte range in one source file. Every token, AST node and IR node carries one.
public struct SourceRange: Hashable, Sendable {
    /// The file the range lies in; `nil` for synthesized code (e.g. in a layer written in Swift).
    public let file: SourceFile?
    /// Byte offset of the first byte.
    public let start: Int
    /// Byte offset one past the last byte.
    public let end: Int

    public init(file: SourceFile?, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// A range with no place in any file.
    public static let unknown = SourceRange(file: nil, start: 0, end: 0)

    /// The smallest range covering both.
    public func merged(with other: SourceRange) -> SourceRange {
        guard let file, other.file === file else { return file == nil ? other : self }
        return SourceRange(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    /// `path:line:col`, or `<unknown>`.
    public var description: String {
        guard let file else { return "<unknown>" }
        let (l, c) = file.lineAndColumn(of: start)
        return "\(file.path):\(l):\(c)"
    }

    public static func == (a: SourceRange, b: SourceRange) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }

    public func hash(into h: inout Hasher) {
        h.combine(start)
        h.combine(end)
    }
}
