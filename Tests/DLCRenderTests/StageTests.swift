import DLCCore
import DLCDriver
import DLCRender
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import _DLCTestSupport

/// The DOT text of a model at a stage, as `dlc render --stage` draws it.
func stageDOT(_ relativePath: String, stage: RenderStage, batch: Int = 1) throws -> (dot: String, diagram: Diagram) {
    let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent(relativePath),
                                     options: CompileOptions(emit: .shapes))
    XCTAssertEqual(r.status, 0, r.diagnosticsText)
    let g = try XCTUnwrap(r.graphs.first)
    var t = title(g)
    let registry = TestCompiler.registry
    let options = RenderOptions(stage: stage)
    let diagram: Diagram
    switch stage {
    case .source:
        diagram = Renderer(registry: registry, options: options).diagram(g, title: t)
    case .train:
        let a = try DiagramSupport.trainingStep(g, sections: r.trainSections, registry: registry)
        t.note = "training step (gradients dashed red)"
        diagram = Renderer(registry: registry, options: options).diagram(g, title: t, annotations: a)
    case .fused:
        let kernels = try DiagramSupport.fuse(g, registry: registry)
        t.note = "optimized for execution: \(kernels) fused kernels"
        diagram = Renderer(registry: registry, options: options).diagram(g, title: t)
    case .plan:
        let sketch = try DiagramSupport.planSketch(g, registry: registry, batch: batch)
        t.note = DiagramSupport.planNote(sketch)
        diagram = Diagram.build(plan: sketch, options: options, title: t)
    }
    return (DotWriter().write(diagram), diagram)
}

/// Golden DOT text of every stage but `source` (whose goldens are in `DotGoldenTests`) on
/// LeNet-5 and the residual test model. `DLC_RECORD=1` re-records them.
final class StageGoldenTests: XCTestCase {
    func testLeNet5Train() throws { try check("models/lenet5.dlg", .train, "lenet5.train.dot") }
    func testLeNet5Fused() throws { try check("models/lenet5.dlg", .fused, "lenet5.fused.dot") }
    func testLeNet5Plan() throws { try check("models/lenet5.dlg", .plan, "lenet5.plan.dot") }
    func testResidualTrain() throws { try check(residualModel, .train, "residual.train.dot") }
    func testResidualFused() throws { try check(residualModel, .fused, "residual.fused.dot") }
    func testResidualPlan() throws { try check(residualModel, .plan, "residual.plan.dot") }

    func check(_ model: String, _ stage: RenderStage, _ golden: String, file: StaticString = #filePath, line: UInt = #line) throws {
        Golden.check(try stageDOT(model, stage: stage).dot, against: goldenDir.appendingPathComponent(golden), file: file, line: line)
    }
}

final class FusedStageTests: XCTestCase {
    /// Each fused kernel is a cluster holding one node per instruction of its program, and
    /// edges from outside reach the instructions that read them.
    func testFusedKernelsAreClustersOfTheirOps() throws {
        let (dot, d) = try stageDOT(residualModel, stage: .fused)  // residual add + relu
        let fusedClusters = d.clusters.filter { $0.scope.hasPrefix("fused_") }
        XCTAssertFalse(fusedClusters.isEmpty)
        for c in fusedClusters {
            XCTAssertTrue(c.label.hasPrefix("fused kernel · "), c.label)
            let ids = c.items.compactMap { if case .node(let id) = $0 { id } else { nil } }
            XCTAssertFalse(ids.isEmpty)
            let titles = ids.compactMap { id in d.nodes.first { $0.id == id }?.title }
            for t in titles { XCTAssertTrue(c.label.contains(t), "\(c.label) names \(t)") }
            XCTAssertTrue(d.edges.contains { ids.contains($0.to) && !ids.contains($0.from) }, "an edge enters \(c.label)")
        }
        XCTAssertTrue(dot.contains("optimized for execution"))
        try assertSVGMatches(d)
    }
}

final class PlanStageTests: XCTestCase {
    /// One node per kernel step, numbered in execution order; arena edges carry offset and
    /// size; buffers that reuse bytes are coloured and name each other.
    func testPlanDrawsStepsInOrderWithArenaPlaces() throws {
        let (dot, d) = try stageDOT("models/lenet5.dlg", stage: .plan, batch: 4)
        let steps = d.nodes.filter { $0.id.hasPrefix("k") }
        XCTAssertGreaterThan(steps.count, 8)
        for (i, s) in steps.enumerated() { XCTAssertTrue(s.title.hasPrefix("\(i) · "), s.title) }
        XCTAssertTrue(dot.contains("N=4"), "the batch binding is in the title")
        XCTAssertTrue(dot.contains("% of"), "arena against the naive sum")
        let shared = d.edges.filter { $0.color != nil }
        XCTAssertFalse(shared.isEmpty, "LeNet-5's plan reuses arena bytes")
        for e in shared { XCTAssertTrue(e.label?.contains("shares with b") == true, e.label ?? "") }
        XCTAssertTrue(d.edges.contains { $0.label?.contains(" @0 +") == true })
        XCTAssertTrue(d.nodes.contains { $0.kind == .loss })
        try assertSVGMatches(d)
    }

    /// Every model in models/ draws at the plan and fused stages as well-formed SVG with as
    /// many nodes as the diagram has.
    func testEveryModelDrawsAtFusedAndPlanStages() throws {
        for url in Repository.modelFiles where !["resnet50.dlg", "resnet18.dlg", "alexnet.dlg"].contains(url.lastPathComponent) {
            for stage in [RenderStage.fused, .plan] {
                let (_, d) = try stageDOT(Repository.relative(url), stage: stage)
                try assertSVGMatches(d, url.lastPathComponent + " " + stage.rawValue)
            }
        }
    }
}

/// The diagram drawn as SVG is well-formed XML with one `node` group per diagram node.
func assertSVGMatches(_ d: Diagram, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    let svg = try Graphviz.render(dot: DotWriter().write(d), format: .svg)
    let parser = XMLParser(data: Data(svg))
    let counter = GraphvizOutputTests.SVGCounter()
    parser.delegate = counter
    XCTAssertTrue(parser.parse(), what, file: file, line: line)
    XCTAssertEqual(counter.nodes, d.nodeCount, what, file: file, line: line)
    XCTAssertEqual(counter.clusters, d.clusters.count, what, file: file, line: line)
}
