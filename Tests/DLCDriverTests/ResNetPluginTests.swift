import DLCCore
import DLCDriver
import XCTest
import _DLCTestSupport

/// The resnet plugin, registered through the public plugin API only: torchvision's
/// parameter counts and names, and `use` governing visibility.
final class ResNetPluginTests: XCTestCase {
    func graph(_ model: String) throws -> Graph {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/\(model)"))
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        return try XCTUnwrap(r.graphs.first)
    }

    func testResNet18HasTorchvisionsParameters() throws {
        let g = try graph("resnet18.dlg")
        XCTAssertEqual(g.trainableParameterCount, 11_689_512)
        let names = g.paramNodes.compactMap { $0.attributes["name"]?.stringValue }
        XCTAssertEqual(names.first, "conv1.weight")
        XCTAssertTrue(names.contains("layer2.0.downsample.0.weight"))
        XCTAssertTrue(names.contains("layer4.1.bn2.running_var"))
        XCTAssertEqual(names.last, "fc.bias")
        XCTAssertEqual(g.outputs.map { g[$0.value].type.description }, ["f32[N, 1000]"])
    }

    func testResNet50HasTorchvisionsParameters() throws {
        XCTAssertEqual(try graph("resnet50.dlg").trainableParameterCount, 25_557_032)
    }

    func testLayersOfAPluginNeedUse() {
        let r = TestCompiler.compile("model M {\n  input x: f32[N, 3, 32, 32]\n  y = basic_block(x, 16)\n  output y\n}\n")
        XCTAssertEqual(r.diagnosticsText, """
            test.dlg:3:7: error: layer 'basic_block' is provided by plugin 'resnet'; add 'use resnet' at the top of the file
              y = basic_block(x, 16)
                  ^~~~~~~~~~~
            1 error generated.

            """)
    }

    func testBlocksProjectTheShortcutWhenTheShapeChanges() {
        let r = TestCompiler.compile("use resnet\nmodel M {\n  input x: f32[N, 16, 32, 32]\n  a = basic_block(x, 16)\n  b = basic_block(a, 32, stride: 2)\n  c = bottleneck(b, 16)\n  output c\n}\n")
        XCTAssertEqual(r.status, 0, r.diagnosticsText)
        let g = r.graphs[0]
        let names = g.paramNodes.compactMap { $0.attributes["name"]?.stringValue }
        XCTAssertFalse(names.contains { $0.hasPrefix("a.downsample") })
        XCTAssertTrue(names.contains("b.downsample.0.weight"))
        XCTAssertTrue(names.contains("c.downsample.0.weight"))  // 32 → 16·4 channels
        XCTAssertEqual(g[g.outputs[0].value].type.description, "f32[N, 64, 16, 16]")
    }

    func testBadDepthBlamesTheArgument() {
        let r = TestCompiler.compile("use resnet\nmodel M {\n  input x: f32[N, 3, 64, 64]\n  y = resnet(x, depth: 20)\n  output y\n}\n")
        XCTAssertTrue(r.diagnosticsText.hasPrefix("test.dlg:4:17: error: ResNet depth must be 18, 34, 50, 101 or 152, found 20\n"), r.diagnosticsText)
    }
}
