/// How serious a diagnostic is.
public enum Severity: String, Sendable {
    case error, warning, note
}

/// One message about the user's input, anchored at a source range, with attached notes.
public struct Diagnostic: Sendable, Equatable {
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    public var notes: [Diagnostic]

    public init(_ severity: Severity, _ message: String, at range: SourceRange, notes: [Diagnostic] = []) {
        self.severity = severity
        self.message = message
        self.range = range
        self.notes = notes
    }

    /// A note to attach to another diagnostic.
    public static func note(_ message: String, at range: SourceRange) -> Diagnostic {
        Diagnostic(.note, message, at: range)
    }
}

/// Collects the diagnostics of one compilation. Nothing stops at the first error.
public final class DiagnosticEngine {
    public private(set) var diagnostics: [Diagnostic] = []
    /// Past this many errors, further errors are counted but not kept (runaway input).
    public var errorLimit = 200
    public private(set) var droppedErrors = 0

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } || droppedErrors > 0 }
    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count + droppedErrors }

    /// Records a diagnostic.
    public func emit(_ d: Diagnostic) {
        if d.severity == .error, errorCount >= errorLimit {
            droppedErrors += 1
            return
        }
        // The same message at the same place twice is noise (e.g. a block expanded twice).
        if diagnostics.contains(d) { return }
        diagnostics.append(d)
    }

    /// Records an error.
    public func error(_ message: String, at range: SourceRange, notes: [Diagnostic] = []) {
        emit(Diagnostic(.error, message, at: range, notes: notes))
    }

    /// Records a warning.
    public func warning(_ message: String, at range: SourceRange, notes: [Diagnostic] = []) {
        emit(Diagnostic(.warning, message, at: range, notes: notes))
    }

    /// Adds `note` to every diagnostic emitted at or after `index` (e.g. "in block 'B' called
    /// here" for errors found while expanding a block). A diagnostic that repeats an earlier
    /// one (same message and place: the same block expanded again) is dropped instead.
    public func amend(since index: Int, note: Diagnostic) {
        guard index < diagnostics.count else { return }
        let earlier = diagnostics[..<index]
        var kept: [Diagnostic] = []
        for var d in diagnostics[index...] {
            if earlier.contains(where: { $0.severity == d.severity && $0.message == d.message && $0.range == d.range }) { continue }
            if !d.notes.contains(note) { d.notes.append(note) }  // recursion: one note per call site
            kept.append(d)
        }
        diagnostics.replaceSubrange(index..., with: kept)
    }

    /// The diagnostics in source order (stable for golden tests).
    public var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let ra = a.element.range, rb = b.element.range
            if ra.file?.path != rb.file?.path { return (ra.file?.path ?? "") < (rb.file?.path ?? "") }
            if ra.start != rb.start { return ra.start < rb.start }
            return a.offset < b.offset
        }.map(\.element)
    }
}
