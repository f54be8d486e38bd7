// Recurrent layers `rnn`, `lstm` and `gru` (PyTorch's RNN/LSTM/GRU, one layer, batch-first),
// expanded by unrolling over the static sequence length into primitive ops, so autodiff
// needs nothing special.
import DLCCore

/// The kind of cell and its number of gates (PyTorch's order: LSTM i, f, g, o; GRU r, z, n).
private enum Cell: String {
    case rnn, lstm, gru
    var gates: Int { switch self { case .rnn: 1; case .lstm: 4; case .gru: 3 } }
}

/// Builds one step of a cell: the input projection of the step (with bias_ih) and the
/// state in, the state out.
private struct Unroller {
    let b: GraphBuilder
    let cell: Cell
    let hidden: Int
    let weightHH: Tensor
    let biasHH: Tensor?
    let activation: String

    func op(_ name: String, _ xs: Tensor..., attrs: Attributes = [:]) throws -> Tensor { try b.op1(name, xs, attrs) }

    /// h·W_hhᵀ + b_hh: [N, G·H].
    func recurrent(_ h: Tensor) throws -> Tensor {
        let g = try op("matmul", h, weightHH, attrs: ["transpose_b": .bool(true)])
        return try biasHH.map { try op("add", g, $0) } ?? g
    }

    func gates(_ t: Tensor) throws -> [Tensor] {
        try b.op("split", [t], ["sections": .int(cell.gates), "axis": .int(1)])
    }

    /// The next (h, c) from the projected input `xp` [N, G·H] and the state.
    func step(_ xp: Tensor, h: Tensor, c: Tensor?) throws -> (Tensor, Tensor?) {
        let hp = try recurrent(h)
        switch cell {
        case .rnn:
            return (try op(activation, try op("add", xp, hp)), nil)
        case .lstm:
            let g = try gates(try op("add", xp, hp))
            let i = try op("sigmoid", g[0]), f = try op("sigmoid", g[1])
            let cand = try op("tanh", g[2]), o = try op("sigmoid", g[3])
            let c2 = try op("add", try op("mul", f, c!), try op("mul", i, cand))
            return (try op("mul", o, try op("tanh", c2)), c2)
        case .gru:
            let xg = try gates(xp), hg = try gates(hp)
            let r = try op("sigmoid", try op("add", xg[0], hg[0]))
            let z = try op("sigmoid", try op("add", xg[1], hg[1]))
            let n = try op("tanh", try op("add", xg[2], try op("mul", r, hg[2])))
            // h' = (1 − z)·n + z·h = n + z·(h − n)
            return (try op("add", n, try op("mul", z, try op("sub", h, n))), nil)
        }
    }
}

/// Expands `rnn`, `lstm` or `gru` over x [N, T, F]; returns the outputs [N, T, H] in time
/// order, then the last hidden state [N, H] (and for LSTM the last cell state).
private func expandRecurrent(_ b: GraphBuilder, _ args: Arguments, cell: Cell) throws -> [Tensor] {
    let layer = cell.rawValue
    let x = try args.tensor("x")
    guard x.rank == 3 else { throw DLCError("'\(layer)' expects a tensor of rank 3 [N, T, F], found \(x.type)", operands: [0]) }
    try requireFloatInput(x, layer: layer)
    let steps = try Check.known(x.type, 1, operand: 0, op: layer, what: "sequence length")
    let features = try Check.known(x.type, 2, operand: 0, op: layer, what: "feature count")
    let hidden = try args.positiveInt("hidden")
    let reverse = try args.bool("reverse"), useBias = try args.bool("bias")
    var activation = "tanh"
    if cell == .rnn {
        activation = try args.string("nonlinearity")
        guard activation == "tanh" || activation == "relu" else {
            throw DLCError("argument 'nonlinearity' of 'rnn' must be tanh or relu, found \(activation)", argument: "nonlinearity")
        }
    }
    // PyTorch initializes every recurrent parameter with U(−1/√H, 1/√H).
    let gh = cell.gates * hidden, initial = fanInBound(hidden)
    let wih = try b.param("weight_ih", shape: [gh, features], dtype: x.dtype, initializer: initial)
    let whh = try b.param("weight_hh", shape: [gh, hidden], dtype: x.dtype, initializer: initial)
    var bih: Tensor?, bhh: Tensor?
    if useBias {
        bih = try b.param("bias_ih", shape: [gh], dtype: x.dtype, initializer: initial)
        bhh = try b.param("bias_hh", shape: [gh], dtype: x.dtype, initializer: initial)
    }
    // The input projection of every step at once: [N, T, G·H].
    var proj = try b.op1("matmul", [x, wih], ["transpose_b": .bool(true)])
    if let bih { proj = try b.op1("add", [proj, bih]) }

    let zero = try b.op1("broadcast_to", [b.constant(0, dtype: x.dtype)],
                         ["shape": .list([staticDim(x.shape[0]), .int(hidden)])])
    let unroller = Unroller(b: b, cell: cell, hidden: hidden, weightHH: whh, biasHH: bhh, activation: activation)
    var h = zero, c: Tensor? = cell == .lstm ? zero : nil
    var outputs = [Tensor?](repeating: nil, count: steps)
    // Each time step in its own scope (`seq.t3`), so that diagrams can draw the cell once.
    for t in reverse ? Array((0..<steps).reversed()) : Array(0..<steps) {
        try b.withScope("t\(t)") {
            let slice = try b.op1("slice", [proj], ["axis": .int(1), "start": .int(t), "end": .int(t + 1)])
            let xp = try b.op1("squeeze", [slice], ["axes": .list([.int(1)])])
            (h, c) = try unroller.step(xp, h: h, c: c)
        }
        outputs[t] = h
    }
    let sequence = try b.op1("stack", outputs.map { $0! }, ["axis": .int(1)])
    return [sequence, h] + (c.map { [$0] } ?? [])
}

func registerRecurrentLayers(_ registry: Registry) throws {
    let common: [ArgSpec] = [.operand("x", "[N, T, F] with T and F known"), .attr("hidden", .int, nil, "hidden size H")]
    let tail: [ArgSpec] = [.attr("reverse", .bool, .bool(false), "run backwards in time (outputs stay in time order)"),
                           .attr("bias", .bool, .bool(true), "learn bias_ih and bias_hh")]
    try registry.register(LayerSpec("rnn",
        signature: Signature(common + [.attr("nonlinearity", .string, .symbol("tanh"), "tanh or relu")] + tail),
        summary: "Elman RNN: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); returns (outputs [N, T, H], h_last [N, H]).",
        createsParameters: true) { try expandRecurrent($0, $1, cell: .rnn) })
    try registry.register(LayerSpec("lstm", signature: Signature(common + tail),
        summary: "LSTM (gates i, f, g, o); returns (outputs [N, T, H], h_last [N, H], c_last [N, H]).",
        createsParameters: true) { try expandRecurrent($0, $1, cell: .lstm) })
    try registry.register(LayerSpec("gru", signature: Signature(common + tail),
        summary: "GRU (gates r, z, n); returns (outputs [N, T, H], h_last [N, H]).",
        createsParameters: true) { try expandRecurrent($0, $1, cell: .gru) })
}
