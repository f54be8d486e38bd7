import DLCCore
import DLCFrontend
import DLCOps
import XCTest

/// Semantics of elaboration: parameter naming, blocks, compile-time control flow, operators.
final class ElaboratorTests: XCTestCase {
    static let registry: Registry = {
        let r = Registry()
        try! r.install(builtinPlugin)
        return r
    }()

    func elaborate(_ text: String) -> ([Graph], [String]) {
        let d = DiagnosticEngine()
        let unit = Parser.parse(SourceFile(path: "t.dlg", text: text), diagnostics: d)
        let e = Elaborator(unit: unit, registry: Self.registry, diagnostics: d).run()
        return (e.graphs, d.sorted.map { "\($0.range.description): \($0.message)" })
    }

    func paramNames(_ g: Graph) -> [String] { g.paramNodes.compactMap { $0.attributes["name"]?.stringValue } }

    func testOneLayerPerStatementTakesTheTargetName() {
        let (g, errors) = elaborate("model M {\n input x: f32[N, 4]\n fc1 = dense(x, 3) |> relu\n output fc1\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(paramNames(g[0]), ["fc1.weight", "fc1.bias"])
    }

    func testSeveralLayersInOneStatementAreQualifiedByLayer() {
        let (g, errors) = elaborate("""
            model M {
              input x: f32[N, 1, 8, 8]
              a = conv2d(x, 4, kernel: 3) |> batchnorm |> relu |> conv2d(4, kernel: 1)
              output a
            }
            """)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(paramNames(g[0]), ["a.conv2d.weight", "a.conv2d.bias", "a.batchnorm.weight", "a.batchnorm.bias",
                                          "a.batchnorm.running_mean", "a.batchnorm.running_var",
                                          "a.conv2d_1.weight", "a.conv2d_1.bias"])
    }

    func testBlocksRepeatAndNameOverride() {
        let (g, errors) = elaborate("""
            block Res(x, c: Int) {
              h = dense(x, c) |> relu
              return x + dense(h, c, name: "out")
            }
            model M {
              input x: f32[N, 8]
              repeat 2 { x = Res(x, 8) }
              stage2 = Res(x, 8)
              output stage2
            }
            """)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(paramNames(g[0]), ["x.0.h.weight", "x.0.h.bias", "x.0.out.weight", "x.0.out.bias",
                                          "x.1.h.weight", "x.1.h.bias", "x.1.out.weight", "x.1.out.bias",
                                          "stage2.h.weight", "stage2.h.bias", "stage2.out.weight", "stage2.out.bias"])
    }

    func testDuplicateParameterNamesAreErrors() {
        let (_, errors) = elaborate("model M {\n input x: f32[N, 4]\n a = dense(x, 4, name: \"p\")\n b = dense(a, 4, name: \"p\")\n output b\n}\n")
        XCTAssertEqual(errors, ["t.dlg:4:6: duplicate parameter name 'p.weight'"])
    }

    func testCompileTimeIfSkipsTheBranchNotTaken() {
        let (g, errors) = elaborate("""
            block B(x, stride: Int = 1) {
              skip = if stride == 1 { x } else { conv2d(x, 2, kernel: 1, stride: stride) }
              return skip
            }
            model M {
              input x: f32[N, 2, 4, 4]
              y = B(x)
              z = B(x, stride: 2)
              output y
              output z
            }
            """)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(paramNames(g[0]), ["z.skip.weight", "z.skip.bias"])
        XCTAssertEqual(g[0].outputs.map { g[0][$0.value].type.description }, ["f32[N, 2, 4, 4]", "f32[N, 2, 2, 2]"])
    }

    func testNumbersBesideTensorsBecomeConstantsOfTheTensorsType() {
        let (g, errors) = elaborate("model M {\n input x: f64[N, 3]\n y = 2 * x + 1\n output y\n}\n")
        XCTAssertEqual(errors, [])
        let constants = g[0].nodes(op: "constant")
        XCTAssertEqual(constants.map { g[0][$0.outputs[0]].type.description }, ["f64[]", "f64[]"])
        XCTAssertEqual(g[0][g[0].outputs[0].value].type.description, "f64[N, 3]")
    }

    func testStaticArithmetic() {
        let (g, errors) = elaborate("model M {\n input x: f32[N, 8]\n c = 16 / 2 * 3 - 4 % 3\n y = dense(x, c)\n output y\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(g[0][g[0].outputs[0].value].type.description, "f32[N, 23]")
    }

    func testSymbolsAreRigid() {
        let (_, errors) = elaborate("model M {\n input a: f32[N, 4]\n input b: f32[M, 4]\n c = a + b\n output c\n}\n")
        XCTAssertEqual(errors, ["t.dlg:4:8: cannot broadcast f32[N, 4] and f32[M, 4] in 'add': dimension 0 is N in one and M in the other"])
    }

    func testOneMistakeIsReportedOnce() {
        let (_, errors) = elaborate("model M {\n input x: f32[N, 4]\n y = relu(q)\n z = dense(y, 3) |> relu |> softmax\n output z\n}\n")
        XCTAssertEqual(errors, ["t.dlg:3:11: unknown name 'q'"])
    }

    func testBlockRecursionIsCaught() {
        let (_, errors) = elaborate("block B(x) {\n return B(x)\n}\nmodel M {\n input x: f32[N]\n y = B(x)\n output y\n}\n")
        XCTAssertEqual(errors, ["t.dlg:2:9: blocks are nested more than 64 deep; does block 'B' call itself?"])
    }

    func testInitializerCallsAreCompileTimeValues() {
        let (g, errors) = elaborate("model M {\n input x: f32[N, 8]\n a = dense(x, 4, weight_init: normal(0, 0.02))\n output a\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(g[0].paramNodes.first?.attributes["init"], .list([.symbol("normal"), .float(0), .float(0.02)]))
    }

    func testStringParametersAcceptBareNamesAndCompare() {
        let (g, errors) = elaborate("""
            block Act(x, kind: String) { return if kind == "relu" { relu(x) } else { tanh(x) } }
            model M {
              input x: f32[N, 8]
              y = Act(x, relu)
              output y
            }
            """)
        XCTAssertEqual(errors, [])
        XCTAssertTrue(g[0].nodes.contains { $0.op == "relu" })
        XCTAssertFalse(g[0].nodes.contains { $0.op == "tanh" })
    }

    func testRepeatIndexIsScopedToTheLoop() {
        let (g, errors) = elaborate("model M {\n input x: f32[N, 8]\n i = relu(x)\n repeat 2 as i { x = x * i }\n output i\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(g[0][g[0].outputs[0].value].type.description, "f32[N, 8]")
    }

    func testDefaultsSeeEarlierParametersAndReturnLayersAreNamedOut() {
        let (g, errors) = elaborate("block B(x, n: Int, m: Int = n * 2) { return dense(x, m) }\nmodel M {\n input x: f32[N, 8]\n c = B(x, 3)\n output c\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(paramNames(g[0]), ["c.out.weight", "c.out.bias"])
        XCTAssertEqual(g[0][g[0].outputs[0].value].type.description, "f32[N, 6]")
    }

    func testOnlyOneBranchOfAnIfCountsForNaming() {
        let (g, errors) = elaborate("model M {\n input x: f32[N, 8]\n skip = if true { dense(x, 4) } else { dense(x, 4) }\n output skip\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(paramNames(g[0]), ["skip.weight", "skip.bias"])
    }

    func testUnknownNameInReturnIsReportedAtTheReturn() {
        let (_, errors) = elaborate("block B(x) { return y }\nmodel M {\n input x: f32[N, 8]\n z = B(x)\n output z\n}\n")
        XCTAssertEqual(errors, ["t.dlg:1:21: unknown name 'y'"])
    }

    func testTrainWordsAreFreeOutsideTrainSections() {
        let (g, errors) = elaborate("model M {\n input x: f32[N, 8]\n step = relu(x)\n over = step * 2\n output over\n}\ntrain M {\n lr_schedule: step(every: 5)\n optimizer: sgd(lr: 0.1)\n}\n")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(g.count, 1)
    }
}
