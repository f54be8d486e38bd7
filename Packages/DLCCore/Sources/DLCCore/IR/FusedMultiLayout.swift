// The layout of a `fused_elementwise_multi` node (made by the `fuse-horizontal` pass): one
// `FusedProgram` run over several segments. Its attributes are those of `fused_elementwise`
// (`program`, `results`, `dtype`) with `shapes`, the shape of each segment, in place of `shape`:
//   operands: segment s reads xs[s·k ..< (s+1)·k] (k = operands per segment), each of the
//             segment's shape or a scalar (rank 0)
//   results:  segment s writes outputs s·r ..< (s+1)·r (r = the program's results)

/// The decoded attributes of a `fused_elementwise_multi` node with `operands` operands.
public struct FusedMultiLayout: Sendable {
    public var program: FusedProgram
    public var dtype: DType
    /// The shape of each segment.
    public var shapes: [[Dim]]
    /// Operands of each segment (the node's operand count over the segment count).
    public var operandsPerSegment: Int

    public init(program: FusedProgram, dtype: DType, shapes: [[Dim]], operandsPerSegment: Int) {
        self.program = program
        self.dtype = dtype
        self.shapes = shapes
        self.operandsPerSegment = operandsPerSegment
    }

    /// The node's attributes: `program`, `results`, `dtype` and `shapes`.
    public var attributes: Attributes {
        var a = program.attributes
        a["dtype"] = .dtype(dtype)
        a["shapes"] = .list(shapes.map { shape in
            .list(shape.map {
                switch $0 { case .known(let n): .int(n); case .symbol(let s): .string(s) }
            })
        })
        return a
    }

    /// Decodes and checks the attributes of a node with `operands` operands.
    public init(_ attributes: Attributes, operands: Int) throws {
        guard case .dtype(let dtype)? = attributes["dtype"], dtype.isFloat else {
            throw DLCError("fused_elementwise_multi needs a float dtype")
        }
        guard let list = attributes["shapes"]?.listValue, !list.isEmpty else {
            throw DLCError("fused_elementwise_multi needs 'shapes', a non-empty list of segment shapes")
        }
        let shapes: [[Dim]] = try list.enumerated().map { s, item in
            guard let dims = item.listValue else { throw DLCError("fused_elementwise_multi: the shape of segment \(s) is not a list: \(item)") }
            return try dims.map {
                if let n = $0.intValue, n >= 0 { return .known(n) }
                if let name = $0.stringValue, !name.isEmpty { return .symbol(name) }
                throw DLCError("fused_elementwise_multi: bad dimension \($0) in the shape of segment \(s)")
            }
        }
        guard operands % shapes.count == 0 else {
            throw DLCError("fused_elementwise_multi: \(operands) operands do not divide into \(shapes.count) segments")
        }
        let program = try FusedProgram(attributes: attributes)
        let perSegment = operands / shapes.count
        for (i, ins) in program.instructions.enumerated() {
            for case .input(let k) in ins.operands where k >= perSegment {
                throw DLCError("fused_elementwise_multi: instruction \(i) reads operand i\(k), but each segment has \(perSegment)")
            }
        }
        guard !program.results.isEmpty else { throw DLCError("fused_elementwise_multi needs at least one result") }
        self.init(program: program, dtype: dtype, shapes: shapes, operandsPerSegment: perSegment)
    }
}
