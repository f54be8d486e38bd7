// Helpers shared by the built-in layers: initializer arguments and PyTorch's fan-in bounds.
import DLCCore

/// The default of `weight_init` / `bias_init`: PyTorch's U(−1/√fan_in, 1/√fan_in).
let fanInDefault: StaticValue = .symbol("fan_in_uniform")

/// Reads an initializer argument: a name (`he_normal`), or a name with arguments as the
/// front end stores them (`[normal, 0.0, 0.02]`, the form of `Initializer.attribute`).
func initializer(_ args: Arguments, _ name: String, layer: String) throws -> Initializer {
    let v = args.value(name) ?? fanInDefault
    do {
        if let s = v.stringValue { return try Initializer.make(name: s, positional: [], named: [:]) }
        if let list = v.listValue, let head = list.first?.stringValue {
            return try Initializer.make(name: head, positional: Array(list.dropFirst()), named: [:])
        }
    } catch var e as DLCError {
        e.message = "argument '\(name)' of '\(layer)': " + e.message
        e.argument = name
        throw e
    }
    throw DLCError("argument '\(name)' of '\(layer)' must be an initializer such as glorot_uniform or normal(0, 0.02), found \(v)",
                   argument: name)
}

/// A bias initializer: `fan_in_uniform` means U(−1/√fan_in, 1/√fan_in) with the fan-in of the
/// layer's weight (the bias alone has none), as PyTorch does.
func biasInitializer(_ args: Arguments, _ name: String = "bias_init", layer: String, fanIn: Int) throws -> Initializer {
    let i = try initializer(args, name, layer: layer)
    return i == .fanInUniform ? fanInBound(fanIn) : i
}

/// U(−1/√n, 1/√n).
func fanInBound(_ n: Int) -> Initializer {
    let bound = 1 / Double(n).squareRoot()
    return .uniform(low: -bound, high: bound)
}

/// A dimension as a compile-time value (for `shape:` attributes).
func staticDim(_ d: Dim) -> StaticValue {
    switch d {
    case .known(let n): .int(n)
    case .symbol(let s): .symbol(s)
    }
}

/// A floating-point input of a layer.
func requireFloatInput(_ x: Tensor, layer: String, operand: Int = 0) throws {
    guard x.dtype.isFloat else {
        throw DLCError("'\(layer)' needs a floating-point tensor, found \(x.type); convert it with cast()", operands: [operand])
    }
}

/// The signature entries of the two initializer arguments.
let initArgs: [ArgSpec] = [
    .attr("weight_init", .value, fanInDefault, "initializer of the weight"),
    .attr("bias_init", .value, fanInDefault, "initializer of the bias"),
]
