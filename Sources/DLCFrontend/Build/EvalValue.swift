import DLCCore

/// What an expression evaluates to while a model is elaborated.
enum EvalValue {
    /// A value in the graph.
    case tensor(Tensor)
    /// A compile-time value (numbers, strings, lists, symbols such as `N` or `same`).
    case constant(StaticValue)
    /// Several values: a layer's results, a tuple or a list holding tensors.
    case tuple([EvalValue])
    /// The result of something already reported as wrong; using it reports nothing more.
    case poison

    var isPoisoned: Bool {
        switch self {
        case .poison: true
        case .tuple(let xs): xs.contains { $0.isPoisoned }
        default: false
        }
    }

    /// How the value is described in messages.
    var phrase: String {
        switch self {
        case .tensor(let t): "a tensor \(t.type)"
        case .constant(let c): c.kindName + (c.kindName.hasPrefix("the name") ? "" : " (\(c))")
        case .tuple(let xs): "a tuple of \(xs.count) values"
        case .poison: "an invalid value"
        }
    }
}

/// A name bound in a model or block body, and where it was bound.
struct Binding {
    var value: EvalValue
    var range: SourceRange
}

/// How scope-creating calls of one statement are named: the statement's target when it
/// makes one such call, `target.layer` (then `target.layer_1`, …) when it makes several.
struct NamingContext {
    var target: String
    var total: Int
    var used: [String: Int] = [:]

    mutating func next(for callee: String) -> String {
        if total <= 1 { return target }
        let k = used[callee, default: 0]
        used[callee] = k + 1
        return target + "." + callee + (k == 0 ? "" : "_\(k)")
    }
}
