// Test helpers: parse types from their printed form, apply an op or expand a layer on a
// fresh registry and graph, and assert inferred types or exact error messages.
import DLCCore
import DLCOps
import XCTest

/// `f32[N, 784]` → TensorType.
func T(_ s: String) -> TensorType {
    let open = s.firstIndex(of: "[")!
    let dtype = DType(rawValue: String(s[..<open]))!
    let body = s[s.index(after: open)..<s.index(before: s.endIndex)]
    let dims: [Dim] = body.isEmpty ? [] : body.split(separator: ",").map {
        let d = $0.trimmingCharacters(in: .whitespaces)
        return Int(d).map(Dim.known) ?? .symbol(d)
    }
    return TensorType(dtype, dims)
}

/// A fresh registry with the built-in plugin and an empty graph.
final class Harness {
    let registry = Registry()
    let builder: GraphBuilder

    init() {
        try! registry.install(builtinPlugin)
        builder = GraphBuilder(graph: Graph(name: "t"), registry: registry)
    }

    func inputs(_ types: [String]) -> [Tensor] {
        types.enumerated().map { builder.input(name: "in\($0.offset)", type: T($0.element), location: .unknown) }
    }

    /// Applies an op to inputs of the given types.
    func op(_ name: String, _ types: [String], _ attrs: Attributes = [:]) throws -> [Tensor] {
        try builder.op(name, inputs(types), attrs)
    }

    /// Expands a layer as the front end does (scope and layer set to its name).
    func layer(_ name: String, _ types: [String], _ attrs: Attributes = [:]) throws -> [Tensor] {
        let spec = registry.layers[name]!
        let ins = inputs(types)
        let binder = OpSpec(name, family: .other, signature: spec.signature, summary: "") { _ in [] }
        let args = try binder.bind(inputs: ins, attributes: attrs)
        builder.scope = name
        builder.layer = name
        defer { builder.scope = ""; builder.layer = nil }
        return try spec.expand(builder, args)
    }

    /// `name: type` of every parameter, in creation order.
    var params: [String] {
        builder.graph.paramNodes.map { n in
            "\(n.attributes["name"]!.stringValue!): \(builder.graph[n.outputs[0]].type)"
        }
    }
}

/// Asserts that an op infers the given output types.
func assertInfers(_ op: String, _ types: [String], _ attrs: Attributes = [:], _ expected: [String],
                  file: StaticString = #filePath, line: UInt = #line) {
    do {
        let outs = try Harness().op(op, types, attrs)
        XCTAssertEqual(outs.map(\.type.description), expected, file: file, line: line)
    } catch {
        XCTFail("'\(op)' rejected \(types): \(error)", file: file, line: line)
    }
}

/// Asserts that an op (or a layer, with `layer: true`) is rejected with exactly this message,
/// and when given, these operands and this argument blamed.
func assertRejects(_ op: String, _ types: [String], _ attrs: Attributes = [:], _ message: String,
                   operands: [Int]? = nil, argument: String? = nil, layer: Bool = false,
                   file: StaticString = #filePath, line: UInt = #line) {
    do {
        let h = Harness()
        let outs = layer ? try h.layer(op, types, attrs) : try h.op(op, types, attrs)
        XCTFail("'\(op)' accepted \(types) giving \(outs.map(\.type))", file: file, line: line)
    } catch let e as DLCError {
        XCTAssertEqual(e.message, message, file: file, line: line)
        if let operands { XCTAssertEqual(e.operands, operands, "operands", file: file, line: line) }
        if let argument { XCTAssertEqual(e.argument, argument, "argument", file: file, line: line) }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// The cost of one application of an op.
func flops(_ op: String, _ types: [String], _ attrs: Attributes = [:]) throws -> Int {
    let h = Harness()
    let spec = h.registry.ops[op]!
    let args = try spec.bind(inputs: h.inputs(types), attributes: attrs)
    return spec.cost(args, try spec.infer(args))
}
