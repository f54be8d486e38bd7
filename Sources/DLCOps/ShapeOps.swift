// Ops that change a tensor's shape without touching its elements: reshape, transpose,
// broadcast_to, expand_dims, squeeze, flatten.
import DLCCore

/// Element count split into its symbols (sorted, with repeats) and the product of known dims.
private func factor(_ dims: [Dim]) -> (symbols: [String], known: Int) {
    var symbols: [String] = [], known = 1
    for d in dims {
        switch d {
        case .known(let n): known = known &* n
        case .symbol(let s): symbols.append(s)
        }
    }
    return (symbols.sorted(), known)
}

/// `reshape`: symbols cancel between the two sides; a -1 takes the rest, which must be a
/// whole number or exactly one leftover symbol.
private func inferReshape(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    let target = try parseShape(args, "shape", op: "reshape", allowInfer: true)
    let src = factor(x.shape), dst = factor(target.compactMap { $0 })
    var leftover = src.symbols
    var extra: [String] = []
    for s in dst.symbols {
        if let i = leftover.firstIndex(of: s) { leftover.remove(at: i) } else { extra.append(s) }
    }
    let have = countText(symbols: src.symbols, known: src.known)
    let prefix = "cannot reshape \(x) to \(shapeText(target)) in 'reshape'"
    guard target.contains(where: { $0 == nil }) else {
        guard leftover.isEmpty, extra.isEmpty, src.known == dst.known else {
            throw DLCError("\(prefix): \(have) elements cannot become \(countText(symbols: dst.symbols, known: dst.known))",
                           argument: "shape", operands: [0])
        }
        return [x.with(shape: target.map { $0! })]
    }
    let inferred: Dim
    if extra.isEmpty, leftover.isEmpty, src.known % dst.known == 0 {
        inferred = .known(src.known / dst.known)
    } else if extra.isEmpty, leftover.count == 1, src.known == dst.known {
        inferred = .symbol(leftover[0])
    } else if extra.isEmpty, src.known % dst.known == 0 {
        throw DLCError("\(prefix): -1 would have to be \(countText(symbols: leftover, known: src.known / dst.known)), which is not a single dimension",
                       argument: "shape", operands: [0])
    } else {
        throw DLCError("\(prefix): \(have) elements are not a multiple of \(countText(symbols: dst.symbols, known: dst.known))",
                       argument: "shape", operands: [0])
    }
    return [x.with(shape: target.map { $0 ?? inferred })]
}

private func inferTranspose(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    let v = args.value("perm") ?? .list([])
    guard let list = v.listValue, list.allSatisfy({ $0.intValue != nil }) else {
        throw DLCError("argument 'perm' of 'transpose' must be a list of axes, found \(v)", argument: "perm")
    }
    let perm = list.isEmpty ? Array((0..<x.rank).reversed()) : list.map { $0.intValue! }
    guard perm.sorted() == Array(0..<x.rank) else {
        throw DLCError("argument 'perm' of 'transpose' must be a permutation of 0..<\(x.rank) for \(x), found \(v)", argument: "perm")
    }
    return [x.with(shape: perm.map { x.shape[$0] })]
}

private func inferBroadcastTo(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    let target = try parseShape(args, "shape", op: "broadcast_to", allowInfer: false).map { $0! }
    let prefix = "cannot broadcast \(x) to \(shapeText(target)) in 'broadcast_to'"
    guard x.rank <= target.count else {
        throw DLCError("\(prefix): the target has fewer dimensions (\(target.count)) than the tensor (\(x.rank))",
                       argument: "shape", operands: [0])
    }
    let offset = target.count - x.rank
    for (i, d) in x.shape.enumerated() where d != target[offset + i] && d != .known(1) {
        throw DLCError("\(prefix): dimension \(i) of the tensor is \(d) but the target has \(target[offset + i])",
                       argument: "shape", operands: [0])
    }
    return [x.with(shape: target)]
}

private func inferExpandDims(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    let axis = try Shapes.axis(try args.int("axis"), rank: x.rank + 1, op: "expand_dims")
    var shape = x.shape
    shape.insert(.known(1), at: axis)
    return [x.with(shape: shape)]
}

private func inferSqueeze(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    let v = args.value("axes") ?? .list([])
    if v == .list([]) { return [x.with(shape: x.shape.filter { $0 != .known(1) })] }
    let axes = try parseAxes(args, "axes", rank: x.rank, op: "squeeze")
    for a in axes where x.shape[a] != .known(1) {
        throw DLCError("cannot squeeze axis \(a) of \(x) in 'squeeze': its size is \(x.shape[a]), not 1",
                       argument: "axes", operands: [0])
    }
    return [x.with(shape: reducedShape(x.shape, axes: axes, keepdims: false))]
}

private func inferFlatten(_ args: Arguments) throws -> [TensorType] {
    let x = try args.tensor("x").type
    guard x.rank > 0 else { throw DLCError("'flatten' needs a tensor of rank 1 or more, found \(x)", operands: [0]) }
    let start = try Shapes.axis(try args.int("start_axis"), rank: x.rank, argument: "start_axis", op: "flatten")
    var product = 1
    for i in start..<x.rank {
        guard let v = x.shape[i].value else {
            throw DLCError("'flatten' needs known sizes for the flattened dimensions of \(x), but dimension \(i) is \(x.shape[i])",
                           operands: [0])
        }
        product = product &* v
    }
    return [x.with(shape: Array(x.shape[..<start]) + [.known(product)])]
}

func registerShapeOps(_ registry: Registry) throws {
    let x = ArgSpec.operand("x")
    try registry.register(OpSpec("reshape", family: .dataMovement,
        signature: Signature([x, .attr("shape", .shape, nil, "the new shape; symbols allowed, one -1 inferred")]),
        summary: "Same elements in a new shape; symbolic dimensions must cancel.", infer: inferReshape))
    try registry.register(OpSpec("transpose", family: .dataMovement,
        signature: Signature([x, .attr("perm", .value, .list([]), "the new order of axes; [] reverses them")]),
        summary: "Permutes the axes.", infer: inferTranspose))
    try registry.register(OpSpec("broadcast_to", family: .dataMovement,
        signature: Signature([x, .attr("shape", .shape, nil, "the target shape")]),
        summary: "Broadcasts to a target shape (NumPy rules).", infer: inferBroadcastTo))
    try registry.register(OpSpec("expand_dims", family: .dataMovement,
        signature: Signature([x, .attr("axis", .int, nil, "where the new axis of size 1 goes")]),
        summary: "Inserts an axis of size 1.", infer: inferExpandDims))
    try registry.register(OpSpec("squeeze", family: .dataMovement,
        signature: Signature([x, .attr("axes", .value, .list([]), "axes of size 1 to remove; [] removes all of them")]),
        summary: "Removes axes of size 1.", infer: inferSqueeze))
    try registry.register(OpSpec("flatten", family: .dataMovement,
        signature: Signature([x, .attr("start_axis", .int, .int(1), "the first axis flattened")]),
        summary: "Merges the axes from start_axis on into one (their sizes must be known).", infer: inferFlatten))
}
