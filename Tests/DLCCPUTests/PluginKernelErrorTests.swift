import DLCCore
import DLCCPU
import DLCOps
import XCTest

/// A plugin kernel that throws fails its step with the plugin's own message.
final class PluginKernelErrorTests: XCTestCase {
    func testTheKernelsMessageReachesTheError() throws {
        let registry = Registry()
        try registry.install(builtinPlugin)
        try registry.install(Plugin(name: "picky", summary: "a kernel that refuses negative numbers") { r in
            try r.register(OpSpec("picky", family: .elementwise, signature: Signature([ArgSpec("x", .tensor)]),
                                  summary: "x, if it has no negative element") { args in [try args.tensor("x").type] })
            try r.setKernel(of: "picky", for: .cpu) { call in
                let x = call.inputs[0].assumingMemoryBound(to: Float.self)
                let n = call.inputShapes[0].reduce(1, *)
                if (0..<n).contains(where: { x[$0] < 0 }) { throw DLCError("picky: a negative element") }
                call.outputs[0].copyMemory(from: call.inputs[0], byteCount: n * 4)
            }
        })
        let g = Graph(name: "P")
        let b = GraphBuilder(graph: g, registry: registry)
        let x = b.input(name: "x", type: TensorType(.f32, [.known(3)]), location: .unknown)
        let y = try b.op1("picky", [x])
        g.outputs = [NamedValue(name: "y", value: y.id, location: .unknown)]
        let e = try Executor(plan: try ExecutionPlan.build(g, bindings: [:], registry: registry, training: false))
        XCTAssertEqual(try e.run(inputs: ["x": HostTensor(shape: [3], f32: [1, 2, 3])])["y"]?.doubles, [1, 2, 3])
        XCTAssertThrowsError(try e.run(inputs: ["x": HostTensor(shape: [3], f32: [1, -2, 3])])) { error in
            let message = (error as? DLCError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("the plugin's kernel failed: picky: a negative element"), message)
        }
    }
}
