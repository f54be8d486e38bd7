// The expression program of a `fused_elementwise` node (made by the `fuse-elementwise` pass):
// SSA instructions over the node's operands, each the name of an elementwise op with its
// result dtype, operands and attributes. Stored in the node's attributes as plain
// `StaticValue`s, so printing and plan files need nothing new:
//   program: [[op, dtype, [operand…], [attrName, attrValue, …]], …]
//            an operand is "i<k>" (the node's k-th operand), "t<k>" (instruction k's result)
//            or a number (an inlined scalar constant of the group's element type)
//   results: [k…]   the instructions whose values are the node's results, in order
//   dtype:   the element type of every operand and result (instructions may yield bool)
//   shape:   the shape of every result (operands broadcast to it)

/// One operand of a fused instruction.
public enum FusedOperand: Hashable, Sendable {
    case input(Int)
    case temp(Int)
    case constant(Double)
}

/// One instruction of a fused program.
public struct FusedInstruction: Sendable {
    public var op: String
    public var dtype: DType
    public var operands: [FusedOperand]
    public var attributes: Attributes

    public init(op: String, dtype: DType, operands: [FusedOperand], attributes: Attributes) {
        self.op = op
        self.dtype = dtype
        self.operands = operands
        self.attributes = attributes
    }
}

/// A decoded `fused_elementwise` program.
public struct FusedProgram: Sendable {
    public var instructions: [FusedInstruction]
    public var results: [Int]

    public init(instructions: [FusedInstruction], results: [Int]) {
        self.instructions = instructions
        self.results = results
    }

    /// The `program` and `results` attributes.
    public var attributes: Attributes {
        let prog: [StaticValue] = instructions.map { ins in
            let ops: [StaticValue] = ins.operands.map {
                switch $0 {
                case .input(let k): .string("i\(k)")
                case .temp(let k): .string("t\(k)")
                case .constant(let c): .float(c)
                }
            }
            var attrs: [StaticValue] = []
            for k in ins.attributes.keys.sorted() { attrs += [.string(k), ins.attributes[k]!] }
            return .list([.string(ins.op), .dtype(ins.dtype), .list(ops), .list(attrs)])
        }
        return ["program": .list(prog), "results": .list(results.map { .int($0) })]
    }

    /// Decodes the attributes of a `fused_elementwise` node.
    public init(attributes: Attributes) throws {
        guard let prog = attributes["program"]?.listValue, let res = attributes["results"]?.listValue else {
            throw DLCError("fused_elementwise needs 'program' and 'results' attributes")
        }
        var instructions: [FusedInstruction] = []
        for (i, item) in prog.enumerated() {
            guard let parts = item.listValue, parts.count == 4, let op = parts[0].stringValue,
                  case .dtype(let dtype) = parts[1], let ops = parts[2].listValue, let attrList = parts[3].listValue,
                  attrList.count % 2 == 0 else {
                throw DLCError("fused_elementwise: instruction \(i) is malformed: \(item)")
            }
            var operands: [FusedOperand] = []
            for o in ops {
                if let s = o.stringValue, let k = Int(s.dropFirst()), s.first == "i" || s.first == "t" {
                    if s.first == "t" && k >= i { throw DLCError("fused_elementwise: instruction \(i) uses t\(k) before it is defined") }
                    operands.append(s.first == "i" ? .input(k) : .temp(k))
                } else if let c = o.doubleValue {
                    operands.append(.constant(c))
                } else {
                    throw DLCError("fused_elementwise: instruction \(i) has a malformed operand \(o)")
                }
            }
            var attrs: Attributes = [:]
            for j in stride(from: 0, to: attrList.count, by: 2) {
                guard let k = attrList[j].stringValue else { throw DLCError("fused_elementwise: malformed attributes in instruction \(i)") }
                attrs[k] = attrList[j + 1]
            }
            instructions.append(FusedInstruction(op: op, dtype: dtype, operands: operands, attributes: attrs))
        }
        let results = try res.map { r -> Int in
            guard let k = r.intValue, k >= 0, k < instructions.count else { throw DLCError("fused_elementwise: bad result \(r)") }
            return k
        }
        self.init(instructions: instructions, results: results)
    }
}
