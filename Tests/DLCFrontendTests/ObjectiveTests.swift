import DLCCore
import DLCFrontend
import DLCOps
import XCTest

/// Train steps' objectives become graphs: models called in them are inlined with their
/// parameters shared and named `Model.param`, trainable only for the step's `over` models.
final class ObjectiveTests: XCTestCase {
    static let gan = """
        model G {
          input z: f32[N, 4]
          output image = dense(z, 64) |> sigmoid |> reshape([N, 1, 8, 8])
        }
        model D {
          input image: f32[N, 1, 8, 8]
          output score = dense(flatten(image), 8) |> relu |> dense(1)
        }
        train gan {
          step d: minimize mean(softplus(-D(real))) + mean(softplus(D(G(random_normal([N, 4]))))) over D
          step g: minimize mean(softplus(-D(image: G(random_normal([N, 4]))))) over G
        }
        """

    func section(_ text: String) throws -> TrainSection {
        let d = DiagnosticEngine()
        let unit = Parser.parse(SourceFile(path: "t.dlg", text: text), diagnostics: d)
        let e = Elaborator(unit: unit, registry: ElaboratorTests.registry, diagnostics: d).run()
        XCTAssertEqual(d.sorted.map(\.message), [])
        return try XCTUnwrap(e.trainSections.first)
    }

    func params(_ g: Graph) -> [String: Bool] {
        Dictionary(uniqueKeysWithValues: g.paramNodes.map {
            ($0.attributes["name"]?.stringValue ?? "?", $0.attributes["trainable"] != .bool(false))
        })
    }

    func testEachStepTrainsOnlyItsOverModelsAndSharesParametersBetweenCalls() throws {
        let s = try section(Self.gan)
        let d = try XCTUnwrap(s.stepGraphs["d"])
        // D is called twice (real and generated images) but has one set of parameters.
        XCTAssertEqual(params(d), ["D.score.dense.weight": true, "D.score.dense.bias": true,
                                   "D.score.dense_1.weight": true, "D.score.dense_1.bias": true,
                                   "G.image.weight": false, "G.image.bias": false])
        XCTAssertEqual(d.inputNodes.compactMap { $0.attributes["name"]?.stringValue }, ["real"])
        XCTAssertEqual(d[d.inputNodes[0].outputs[0]].type.description, "f32[N, 1, 8, 8]")
        XCTAssertEqual(d.losses.map(\.name), ["d"])
        XCTAssertEqual(d[d.losses[0].value].type.rank, 0)
        let g = try XCTUnwrap(s.stepGraphs["g"])
        XCTAssertEqual(g.inputNodes.count, 0, "the generator's step reads no data")
        XCTAssertEqual(params(g).filter(\.value).keys.sorted(), ["G.image.bias", "G.image.weight"])
        XCTAssertEqual(g.nodes(op: "random_normal").count, 1)
    }

    func testAStepsModelsKeepTheirOwnGraphs() throws {
        let d = DiagnosticEngine()
        let unit = Parser.parse(SourceFile(path: "t.dlg", text: Self.gan), diagnostics: d)
        let e = Elaborator(unit: unit, registry: ElaboratorTests.registry, diagnostics: d).run()
        XCTAssertEqual(e.graphs.map(\.name), ["G", "D"])
        XCTAssertEqual(e.graphs[1].paramNodes.compactMap { $0.attributes["name"]?.stringValue },
                       ["score.dense.weight", "score.dense.bias", "score.dense_1.weight", "score.dense_1.bias"])
    }
}
