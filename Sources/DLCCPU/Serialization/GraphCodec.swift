// Encoding of a Graph for .dlp files: values (type, name, producer), nodes (op, operands,
// results, attributes, scope, layer), outputs, losses and updates. Source locations are not
// kept (a loaded graph reports `SourceRange.unknown`). Decoding checks every index.
import DLCCore

enum GraphCodec {
    static func encode(_ g: Graph, _ w: inout BinaryWriter) {
        w.string(g.name)
        w.int(g.values.count)
        for v in g.values {
            type(v.type, &w)
            w.bool(v.name != nil)
            if let n = v.name { w.string(n) }
            w.int(v.producer.index)
        }
        w.int(g.nodes.count)
        for n in g.nodes {
            w.string(n.op)
            w.int(n.inputs.count)
            for i in n.inputs { w.int(i.index) }
            w.int(n.outputs.count)
            for o in n.outputs { w.int(o.index) }
            w.int(n.attributes.count)
            for key in n.attributes.keys.sorted() {
                w.string(key)
                staticValue(n.attributes[key]!, &w)
            }
            w.string(n.scope)
            w.bool(n.layer != nil)
            if let l = n.layer { w.string(l) }
        }
        for list in [g.outputs, g.losses, g.updates] {
            w.int(list.count)
            for nv in list { w.string(nv.name); w.int(nv.value.index) }
        }
    }

    static func type(_ t: TensorType, _ w: inout BinaryWriter) {
        w.u8(UInt8(t.dtype.code))
        w.int(t.rank)
        for d in t.shape {
            switch d {
            case .known(let n): w.u8(0); w.int(n)
            case .symbol(let s): w.u8(1); w.string(s)
            }
        }
    }

    static func staticValue(_ v: StaticValue, _ w: inout BinaryWriter) {
        switch v {
        case .int(let i): w.u8(0); w.int(i)
        case .float(let d): w.u8(1); w.f64(d)
        case .bool(let b): w.u8(2); w.bool(b)
        case .string(let s): w.u8(3); w.string(s)
        case .symbol(let s): w.u8(4); w.string(s)
        case .dtype(let d): w.u8(5); w.u8(UInt8(d.code))
        case .list(let xs): w.u8(6); w.int(xs.count); for x in xs { staticValue(x, &w) }
        }
    }

    static func decode(_ r: inout BinaryReader) throws -> Graph {
        let g = Graph(name: try r.string("the model name"))
        let valueCount = try r.count("the value count", limit: r.remaining)
        var values: [Value] = []
        for i in 0..<valueCount {
            let t = try type(&r)
            let name = try r.bool("a value name flag") ? try r.string("a value name") : nil
            let producer = try r.int("a value's producer")
            values.append(Value(id: ValueID(i), type: t, name: name, location: .unknown, producer: NodeID(producer)))
        }
        let nodeCount = try r.count("the node count", limit: r.remaining)
        var nodes: [Node] = []
        func valueIndex(_ what: String) throws -> ValueID {
            let i = try r.int(what)
            guard i >= 0, i < valueCount else { throw r.fail("corrupt file: \(what) is \(i), but there are \(valueCount) values") }
            return ValueID(i)
        }
        for i in 0..<nodeCount {
            let op = try r.string("an op name")
            let ins = try (0..<r.count("an operand count", limit: r.remaining)).map { _ in try valueIndex("an operand") }
            let outs = try (0..<r.count("a result count", limit: r.remaining)).map { _ in try valueIndex("a result") }
            var attrs: Attributes = [:]
            for _ in 0..<(try r.count("an attribute count", limit: r.remaining)) {
                let key = try r.string("an attribute name")
                attrs[key] = try staticValue(&r, depth: 0)
            }
            let scope = try r.string("a scope")
            let layer = try r.bool("a layer flag") ? try r.string("a layer name") : nil
            nodes.append(Node(id: NodeID(i), op: op, inputs: ins, outputs: outs, attributes: attrs, location: .unknown,
                              scope: scope, layer: layer))
        }
        for v in values where v.producer.index < 0 || v.producer.index >= nodeCount {
            throw r.fail("corrupt file: value \(v.id) names producer \(v.producer.index) of \(nodeCount) nodes")
        }
        for n in nodes where n.inputs.contains(where: { values[$0.index].producer.index >= n.id.index }) {
            throw r.fail("corrupt file: node \(n.id.index) ('\(n.op)') reads a value produced later")
        }
        g.replaceContents(values: values, nodes: nodes)
        var lists: [[NamedValue]] = []
        for what in ["outputs", "losses", "updates"] {
            let n = try r.count("the number of \(what)", limit: r.remaining)
            lists.append(try (0..<n).map { _ in
                NamedValue(name: try r.string("a name of \(what)"), value: try valueIndex("a value of \(what)"), location: .unknown)
            })
        }
        g.outputs = lists[0]; g.losses = lists[1]; g.updates = lists[2]
        return g
    }

    static func dtype(_ r: inout BinaryReader) throws -> DType {
        let c = try r.u8("an element type")
        guard let d = DType(code: Int(c)) else { throw r.fail("corrupt file: unknown element type code \(c)") }
        return d
    }

    static func type(_ r: inout BinaryReader) throws -> TensorType {
        let d = try dtype(&r)
        let rank = try r.count("a rank", limit: 64)
        let shape: [Dim] = try (0..<rank).map { _ in
            switch try r.u8("a dimension tag") {
            case 0: return .known(try r.int("a dimension"))
            case 1: return .symbol(try r.string("a symbolic dimension"))
            case let t: throw r.fail("corrupt file: unknown dimension tag \(t)")
            }
        }
        return TensorType(d, shape)
    }

    static func staticValue(_ r: inout BinaryReader, depth: Int) throws -> StaticValue {
        guard depth < 32 else { throw r.fail("corrupt file: attribute lists nested too deeply") }
        switch try r.u8("an attribute tag") {
        case 0: return .int(try r.int("an integer attribute"))
        case 1: return .float(try r.f64("a number attribute"))
        case 2: return .bool(try r.bool("a boolean attribute"))
        case 3: return .string(try r.string("a string attribute"))
        case 4: return .symbol(try r.string("a name attribute"))
        case 5: return .dtype(try dtype(&r))
        case 6: return .list(try (0..<r.count("a list length", limit: r.remaining)).map { _ in try staticValue(&r, depth: depth + 1) })
        case let t: throw r.fail("corrupt file: unknown attribute tag \(t)")
        }
    }
}
