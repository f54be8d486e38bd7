// The `layout` attribute of convolutions and poolings: where the CPU back end may keep the
// result. The `assign-layouts` pass sets it; a model may set it too.

/// Where the CPU back end keeps the result of a convolution, transposed convolution or pooling.
public enum ResultLayout: String, Sendable, CaseIterable {
    /// In the plan's plain NCHW buffer (the meaning when the attribute is unset).
    case plain
    /// In the layout oneDNN's primitive chose (blocked channels), for the convolutions,
    /// poolings and weight gradients that read it (a plain copy too for any other reader); the
    /// back end honours it only where at least one reader is such a step.
    case native

    /// The attribute's name.
    public static let attribute = "layout"

    /// The signature entry of the ops that take it (unset unless a pass or the model sets it).
    public static let argument = ArgSpec(attribute, .string, doc: "where the CPU back end keeps the result: plain (NCHW) or native (oneDNN's layout, for the convolutions, poolings and weight gradients that read it); set by the assign-layouts pass", mayBeUnset: true)

    /// The node's layout: plain when the attribute is unset.
    public init(of node: Node) {
        self = node.attributes[Self.attribute]?.stringValue.flatMap(ResultLayout.init(rawValue:)) ?? .plain
    }

    /// Checks the bound attribute, if set: `plain` or `native`.
    /// - Throws: `DLCError` blaming the argument for any other value.
    public static func check(_ args: Arguments, op: String) throws {
        guard let v = args.value(attribute) else { return }
        guard let s = v.stringValue, ResultLayout(rawValue: s) != nil else {
            throw DLCError("argument '\(attribute)' of '\(op)' must be plain or native, found \(v)", argument: attribute)
        }
    }
}
