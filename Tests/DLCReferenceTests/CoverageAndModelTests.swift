import DLCCore
import DLCOps
@testable import DLCReference
import _DLCTestSupport
import XCTest

final class CoverageAndModelTests: XCTestCase {
    /// Every op a registry with the built-in plugin knows must have a reference kernel.
    func testEveryBuiltinOpHasAKernel() {
        let registry = Registry()
        XCTAssertNoThrow(try registry.install(builtinPlugin))
        XCTAssertGreaterThanOrEqual(registry.ops.count, 85)
        let missing = registry.ops.keys.sorted().filter { ReferenceKernels.standard.kernel(for: $0) == nil }
        XCTAssertEqual(missing, [], "ops without a reference kernel (add one in Sources/DLCReference): \(missing)")
    }

    /// Every op of the standard compiler registry (all standard plugins) too: a built-in
    /// kernel, or one its plugin supplies through the registry (`Registry.setKernel`).
    func testEveryStandardRegistryOpHasAKernel() {
        let r = TestCompiler.registry
        let missing = r.ops.keys.sorted().filter {
            ReferenceKernels.standard.kernel(for: $0) == nil && r.kernel(of: $0, for: .reference) == nil
        }
        XCTAssertEqual(missing, [], "ops without a reference kernel: \(missing)")
    }

    func testLeNet5Forward() throws {
        let url = Repository.root.appendingPathComponent("models/lenet5.dlg")
        let compiled = try TestCompiler.compile(file: url)
        XCTAssertEqual(compiled.status, 0, compiled.diagnosticsText)
        let graph = try XCTUnwrap(compiled.graphs.first)
        var rng = RandomSource(seed: 7)
        let image = HostTensor(shape: [3, 1, 28, 28], f32: (0..<(3 * 784)).map { _ in Float(rng.nextDouble()) })
        let label = HostTensor(shape: [3], storage: .i32([1, 7, 3]))
        let interp = ReferenceInterpreter(registry: TestCompiler.registry)
        let params = ParameterInitializer.initialize(graph, seed: 1)
        XCTAssertEqual(params.values.reduce(0) { $0 + $1.count }, 61_706)
        let r = try interp.run(graph, inputs: ["image": image, "label": label], parameters: params, seed: 3)
        let probs = try XCTUnwrap(r.outputs["probs"])
        XCTAssertEqual(probs.shape, [3, 10])
        XCTAssertEqual(probs.dtype, .f32)
        let p = probs.doubles
        for row in 0..<3 {
            XCTAssertEqual(p[(row * 10)..<(row * 10 + 10)].reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertTrue(p[(row * 10)..<(row * 10 + 10)].allSatisfy { $0 > 0 && $0 < 1 })
        }
        let ce = try XCTUnwrap(r.losses["ce"])
        XCTAssertEqual(ce.shape, [])
        // The loss is the mean of -log p[label] (the softmax of the same logits).
        let expected = [1, 7, 3].enumerated().map { -log(p[$0.offset * 10 + $0.element]) }.reduce(0, +) / 3
        XCTAssertEqual(ce.doubles[0], expected, accuracy: 1e-4)
        // Deterministic: the same seeds give the same numbers; initializeMissing matches.
        let again = try interp.run(graph, inputs: ["image": image, "label": label], parameters: [:], seed: 1,
                                   initializeMissing: true)
        XCTAssertEqual(again.outputs["probs"], probs)
    }

    func testErrorsNameTheInput() throws {
        let compiled = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/lenet5.dlg"))
        let graph = try XCTUnwrap(compiled.graphs.first)
        let interp = ReferenceInterpreter(registry: TestCompiler.registry)
        let params = ParameterInitializer.initialize(graph, seed: 1)
        let image = HostTensor.zeros(.f32, shape: [2, 1, 28, 28])
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { _ = try interp.run(graph, inputs: ["image": image], parameters: params) }
            .contains("missing input 'label'"))
        let bad = message { _ = try interp.run(graph, inputs: ["image": image, "label": .zeros(.i32, shape: [3])], parameters: params) }
        XCTAssertTrue(bad.contains("input 'label'") && bad.contains("N is already 2"), bad)
        let wrongType = message { _ = try interp.run(graph, inputs: ["image": image, "label": .zeros(.i64, shape: [2])], parameters: params) }
        XCTAssertTrue(wrongType.contains("input 'label' must be i32[N]") && wrongType.contains("found i64[2]"), wrongType)
        let wrongShape = message { _ = try interp.run(graph, inputs: ["image": .zeros(.f32, shape: [2, 1, 27, 28]), "label": .zeros(.i32, shape: [2])], parameters: params) }
        XCTAssertTrue(wrongShape.contains("input 'image'") && wrongShape.contains("dimension 2 is 27, expected 28"), wrongShape)
        XCTAssertTrue(message { _ = try interp.run(graph, inputs: ["image": image, "label": .zeros(.i32, shape: [2])], parameters: [:]) }
            .contains("missing parameter"))
        let noKernels = ReferenceInterpreter(kernels: ReferenceKernels(), registry: TestCompiler.registry)
        XCTAssertTrue(message { _ = try noKernels.run(graph, inputs: ["image": image, "label": .zeros(.i32, shape: [2])], parameters: params) }
            .contains("has no reference kernel"))
    }
}
