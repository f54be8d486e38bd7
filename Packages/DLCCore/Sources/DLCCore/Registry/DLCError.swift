/// The error a shape rule, an argument check or a layer expansion throws. The compiler turns
/// it into a diagnostic at the call in the user's source, blaming the named argument or the
/// tensor operands when they are given.
public struct DLCError: Error, CustomStringConvertible {
    public var message: String
    /// Blame this argument of the call (its place in the source is underlined).
    public var argument: String?
    /// Indices of the operands involved; the diagnostic gets a note where each was declared.
    public var operands: [Int]
    public var notes: [Diagnostic]

    public init(_ message: String, argument: String? = nil, operands: [Int] = [], notes: [Diagnostic] = []) {
        self.message = message
        self.argument = argument
        self.operands = operands
        self.notes = notes
    }

    public var description: String { message }
}

/// Thrown when an input of an op or layer is already known to be wrong: the caller
/// poisons the result without another message, so one mistake is reported once.
public struct PoisonedInput: Error {
    public init() {}
}
