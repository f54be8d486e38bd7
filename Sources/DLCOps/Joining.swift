// Ops that join tensors or split one: concat, stack, split.
import DLCCore

/// Checks that every tensor of a list agrees with the first in dtype, rank and every
/// dimension except `except`.
private func checkCompatible(_ xs: [TensorType], except: Int?, op: String, verb: String) throws {
    let first = xs[0]
    for (i, t) in xs.enumerated().dropFirst() {
        guard t.dtype == first.dtype else {
            throw DLCError("'\(op)' needs tensors of the same element type, found \(first) and \(t); convert one with cast()",
                           operands: [0, i])
        }
        guard t.rank == first.rank else {
            throw DLCError("cannot \(verb) \(first) and \(t) in '\(op)': ranks \(first.rank) and \(t.rank) differ", operands: [0, i])
        }
        for d in 0..<t.rank where d != except && t.shape[d] != first.shape[d] {
            throw DLCError("cannot \(verb) \(first) and \(t) in '\(op)': dimension \(d) is \(first.shape[d]) in one and \(t.shape[d]) in the other",
                           operands: [0, i])
        }
    }
}

private func inferConcat(_ args: Arguments) throws -> [TensorType] {
    let xs = args.tensorList("xs").map(\.type)
    guard let first = xs.first else { throw DLCError("'concat' needs at least one tensor") }
    guard first.rank > 0 else { throw DLCError("'concat' cannot join scalars such as \(first); use stack()", operands: [0]) }
    let axis = try Shapes.axis(try args.int("axis"), rank: first.rank, op: "concat")
    try checkCompatible(xs, except: axis, op: "concat", verb: "concatenate")
    if xs.count == 1 { return [first] }
    var total = 0
    for (i, t) in xs.enumerated() {
        guard let v = t.shape[axis].value else {
            throw DLCError("'concat' needs known sizes along axis \(axis) to join several tensors, but it is \(t.shape[axis]) in \(t)",
                           operands: [i])
        }
        total += v
    }
    var shape = first.shape
    shape[axis] = .known(total)
    return [first.with(shape: shape)]
}

private func inferStack(_ args: Arguments) throws -> [TensorType] {
    let xs = args.tensorList("xs").map(\.type)
    guard let first = xs.first else { throw DLCError("'stack' needs at least one tensor") }
    let axis = try Shapes.axis(try args.int("axis"), rank: first.rank + 1, op: "stack")
    try checkCompatible(xs, except: nil, op: "stack", verb: "stack")
    var shape = first.shape
    shape.insert(.known(xs.count), at: axis)
    return [first.with(shape: shape)]
}

/// `split`: `sections: k` makes k equal parts; a list gives the size of each part.
private func inferSplit(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    guard x.rank > 0 else { throw DLCError("'split' needs a tensor of rank 1 or more, found \(x)", operands: [0]) }
    let axis = try Shapes.axis(try args.int("axis"), rank: x.rank, op: "split")
    guard let size = x.shape[axis].value else {
        throw DLCError("'split' needs a known size along axis \(axis), found \(x.shape[axis]) in \(x)", operands: [0])
    }
    let v = args.value("sections") ?? .int(1)
    var sizes: [Int]
    if let k = v.intValue {
        guard k > 0 else { throw DLCError("argument 'sections' of 'split' must be positive, found \(k)", argument: "sections") }
        guard size % k == 0 else {
            throw DLCError("cannot split \(x) into \(k) equal parts along axis \(axis) in 'split': \(size) is not a multiple of \(k)",
                           argument: "sections", operands: [0])
        }
        sizes = Array(repeating: size / k, count: k)
    } else if let list = v.listValue, !list.isEmpty, list.allSatisfy({ ($0.intValue ?? 0) > 0 }) {
        sizes = list.map { $0.intValue! }
        let sum = sizes.reduce(0, +)
        guard sum == size else {
            throw DLCError("cannot split \(x) into parts of sizes \(v) along axis \(axis) in 'split': they add up to \(sum), not \(size)",
                           argument: "sections", operands: [0])
        }
    } else {
        throw DLCError("argument 'sections' of 'split' must be a positive integer or a list of positive sizes, found \(v)",
                       argument: "sections")
    }
    return sizes.map { n in
        var shape = x.shape
        shape[axis] = .known(n)
        return x.with(shape: shape)
    }
}

func registerJoining(_ registry: Registry) throws {
    try registry.register(OpSpec("concat", family: .dataMovement,
        signature: Signature([ArgSpec("xs", .tensors), .attr("axis", .int, .int(0), "the axis joined along")]),
        summary: "Joins tensors along an existing axis.", infer: inferConcat))
    try registry.register(OpSpec("stack", family: .dataMovement,
        signature: Signature([ArgSpec("xs", .tensors), .attr("axis", .int, .int(0), "where the new axis goes")]),
        summary: "Joins tensors of one type along a new axis.", infer: inferStack))
    try registry.register(OpSpec("split", family: .dataMovement,
        signature: Signature([.operand("x"),
                              .attr("sections", .ints, nil, "a number of equal parts, or the size of each part"),
                              .attr("axis", .int, .int(0), "the axis split")]),
        summary: "Splits a tensor into several along an axis.", infer: inferSplit))
}
