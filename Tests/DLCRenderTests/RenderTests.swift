import DLCCore
import DLCDriver
import DLCRender
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import _DLCTestSupport

/// Compiles a repository file and returns its one model (or the named one).
func graph(_ relativePath: String, model: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Graph {
    let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent(relativePath),
                                     options: CompileOptions(emit: .shapes, model: model))
    XCTAssertEqual(r.status, 0, r.diagnosticsText, file: file, line: line)
    return try XCTUnwrap(r.graphs.first, file: file, line: line)
}

let goldenDir = Repository.root.appendingPathComponent("Tests/DLCRenderTests/Golden")
let residualModel = "Tests/DLCRenderTests/Golden/residual.dlg"

func renderer(_ options: RenderOptions = RenderOptions()) -> Renderer {
    Renderer(registry: TestCompiler.registry, options: options)
}

func title(_ g: Graph) -> DiagramTitle { DiagramSupport.title(g, registry: TestCompiler.registry) }

final class DotGoldenTests: XCTestCase {
    func testLeNet5Source() throws {
        let g = try graph("models/lenet5.dlg")
        Golden.check(renderer().dot(g, title: title(g)), against: goldenDir.appendingPathComponent("lenet5.source.dot"))
    }

    func testResidualSource() throws {
        let g = try graph(residualModel)
        Golden.check(renderer().dot(g, title: title(g)), against: goldenDir.appendingPathComponent("residual.source.dot"))
    }

    func testResidualCollapsedWithoutParams() throws {
        let g = try graph(residualModel)
        let dot = renderer(RenderOptions(expandDepth: 0, rankdir: .LR, showParams: false)).dot(g, title: title(g))
        Golden.check(dot, against: goldenDir.appendingPathComponent("residual.expand0.noparams.dot"))
    }

    /// `dlc compile --emit=dot` prints the same text as the renderer with default options.
    func testEmitDot() throws {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/lenet5.dlg"),
                                         options: CompileOptions(emit: .dot))
        XCTAssertEqual(r.status, 0)
        let g = try graph("models/lenet5.dlg")
        XCTAssertEqual(r.output, renderer().dot(g, title: title(g)))
    }
}

final class DiagramStructureTests: XCTestCase {
    /// Fully expanded without parameters, every op of the graph is one node (but the time steps
    /// of a recurrence, drawn once), plus one per output and loss; with parameters, each
    /// parameter is drawn (alone or with its op's others).
    func testFullExpansionDrawsEveryOp() throws {
        for url in Repository.modelFiles {
            let g = try graph(Repository.relative(url))
            let ops = g.nodes.filter { $0.op != "param" && $0.op != "constant" }.count
            let d = renderer(RenderOptions(expandDepth: 1000, showParams: false)).diagram(g)
            XCTAssertEqual(d.nodeCount, ops - d.foldedOps + g.outputs.count + g.losses.count, url.lastPathComponent)
            XCTAssertTrue(d.edges.allSatisfy { $0.label != nil }, "every data edge is labelled with its type")
            let withParams = renderer(RenderOptions(expandDepth: 1000)).diagram(g)
            let paramNodes = withParams.nodes.filter { $0.kind == .param || $0.kind == .params || $0.kind == .constant }
            let drawnParams = paramNodes.reduce(0) { $0 + max(1, $1.rows.count) }
            XCTAssertEqual(drawnParams, g.nodes.count - ops - withParams.foldedParams, url.lastPathComponent)
        }
    }

    func testEdgeLabelsUseSymbolicDims() throws {
        let g = try graph("models/lenet5.dlg")
        let d = renderer().diagram(g)
        let labels = Set(d.edges.compactMap(\.label))
        XCTAssertTrue(labels.contains("f32[N, 6, 28, 28]"), "\(labels)")
        XCTAssertTrue(labels.contains("f32[N, 400]"))
    }

    func testCollapsingKeepsResNet50Readable() throws {
        let g = try graph("models/resnet50.dlg")
        let auto = renderer().diagram(g)
        XCTAssertLessThanOrEqual(auto.nodeCount, 160)
        XCTAssertEqual(auto.expandDepth, 1)
        XCTAssertEqual(auto.clusters.map(\.scope).prefix(4), ["layer1", "layer2", "layer3", "layer4"])
        let top = renderer(RenderOptions(expandDepth: 0, showParams: false)).diagram(g)
        XCTAssertLessThan(top.nodeCount, 20)
        XCTAssertTrue(top.nodes.contains { $0.title == "layer3" && $0.kind == .collapsed })
        // Collapsed scopes count their parameters: the four stages hold almost all of them.
        XCTAssertTrue(top.nodes.contains { $0.title == "layer4" && $0.lines.contains("14,964,736 params") },
                      "\(top.nodes.filter { $0.title == "layer4" }.map(\.lines))")
    }

    func testTitleHasParametersAndFLOPs() throws {
        let g = try graph("models/lenet5.dlg")
        let dot = renderer().dot(g, title: title(g))
        XCTAssertTrue(dot.contains("<b>LeNet5</b>"))
        XCTAssertTrue(dot.contains("61,706 parameters"))
        XCTAssertTrue(dot.contains("kFLOP per example"))
        XCTAssertTrue(dot.contains(FamilyStyle.name(.convolution)), "legend")
    }

    func testFormatFromPath() {
        XCTAssertEqual(OutputFormat(path: "a/b.SVG"), .svg)
        XCTAssertEqual(OutputFormat(path: "x.pdf"), .pdf)
        XCTAssertNil(OutputFormat(path: "x.jpg"))
        XCTAssertNil(OutputFormat(path: "dir.svg/x"))
        XCTAssertNil(OutputFormat(path: "noext"))
    }
}

final class GraphvizOutputTests: XCTestCase {
    /// Counts `<g class="node">` and `<g class="cluster">` while checking the XML is well formed.
    final class SVGCounter: NSObject, XMLParserDelegate {
        var nodes = 0, clusters = 0
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            guard name == "g" else { return }
            if attributes["class"] == "node" { nodes += 1 }
            if attributes["class"] == "cluster" { clusters += 1 }
        }
    }

    func testSVGOfEveryModelIsWellFormedWithMatchingNodeCount() throws {
        for url in Repository.modelFiles + [Repository.root.appendingPathComponent(residualModel)] {
            let g = try graph(Repository.relative(url))
            for options in [RenderOptions(), RenderOptions(expandDepth: 0, rankdir: .LR, showParams: false)] {
                let r = renderer(options)
                let d = r.diagram(g, title: title(g))
                let svg = try Graphviz.render(dot: DotWriter().write(d), format: .svg)
                let parser = XMLParser(data: Data(svg))
                let counter = SVGCounter()
                parser.delegate = counter
                XCTAssertTrue(parser.parse(), "\(url.lastPathComponent): \(parser.parserError.map(String.init(describing:)) ?? "")")
                XCTAssertEqual(counter.nodes, d.nodeCount, url.lastPathComponent)
                XCTAssertEqual(counter.clusters, d.clusters.count, url.lastPathComponent)
            }
        }
    }

    func testPNGIsValid() throws {
        let g = try graph("models/lenet5.dlg")
        let png = try renderer().render(g, format: .png, title: title(g))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        XCTAssertGreaterThan(png.count, 33)
        XCTAssertEqual(Array(png[8..<16]), [0, 0, 0, 13] + Array("IHDR".utf8), "IHDR first, 13 bytes long")
        func u32(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let width = u32(16), height = u32(20)
        XCTAssertGreaterThan(width, 300)
        XCTAssertGreaterThan(height, width, "LeNet-5 runs top to bottom")
        XCTAssertEqual(png[24], 8, "bit depth")
        XCTAssertEqual(Array(png.suffix(8)), [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82], "IEND")
    }

    func testPDFOpensWithPdftoppm() throws {
        guard let pdftoppm = ["/usr/bin/pdftoppm", "/usr/local/bin/pdftoppm"].first(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("pdftoppm is not installed") }
        let g = try graph(residualModel)
        let pdf = try renderer().render(g, format: .pdf, title: title(g))
        XCTAssertEqual(Array(pdf.prefix(5)), Array("%PDF-".utf8))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("residual.pdf")
        try AtomicFile.write(pdf, to: file.path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: pdftoppm)
        p.arguments = ["-png", "-r", "20", "-singlefile", file.path, dir.appendingPathComponent("page").path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let page = try Data(contentsOf: dir.appendingPathComponent("page.png"))
        XCTAssertEqual(Array(page.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }

    func testBadDOTIsAnError() {
        XCTAssertThrowsError(try Graphviz.render(dot: "digraph { a -> }", format: .svg))
        XCTAssertThrowsError(try Graphviz.render(dot: "digraph { a }", format: "no-such-format"))
    }

    /// 200 convolution layers: the time budget is 2 s in a release build (docs/performance.md);
    /// a debug build gets a generous bound so that the test only catches blow-ups.
    func testDeepResidualRendersQuickly() throws {
        let g = try graph("models/deep_residual.dlg")
        let start = Date()
        let svg = try renderer().render(g, format: .svg, title: title(g))
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(svg.count, 10_000)
        XCTAssertLessThan(elapsed, 20, "rendering deep_residual took \(elapsed) s")
    }
}

final class AtomicFileTests: XCTestCase {
    func testReplacesAndLeavesNothingBehindOnFailure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("out.svg").path
        try AtomicFile.write(Array("one".utf8), to: target)
        try AtomicFile.write(Array("two".utf8), to: target)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.svg"])
        // A directory in the way: the rename fails and the temporary file is removed.
        let blocked = dir.appendingPathComponent("sub.svg")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("x"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write([1, 2, 3], to: blocked.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["out.svg", "sub.svg"])
        XCTAssertThrowsError(try AtomicFile.write([1], to: dir.appendingPathComponent("missing/out.png").path))
    }
}

final class RenderCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-render-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    func testRendersEachFormat() throws {
        for ext in ["svg", "png", "pdf", "dot"] {
            let out = dir.appendingPathComponent("lenet5.\(ext)").path
            let o = try DLCProcess.run(["render", "models/lenet5.dlg", "-o", out, "--rankdir=LR", "--expand=0"])
            XCTAssertEqual(o.status, 0, o.stderr)
            XCTAssertEqual(o.stderr, "")
            XCTAssertGreaterThan((try? Data(contentsOf: URL(fileURLWithPath: out)).count) ?? 0, 100, ext)
        }
        XCTAssertEqual(try contents(), ["lenet5.dot", "lenet5.pdf", "lenet5.png", "lenet5.svg"])
        let dot = try String(contentsOfFile: dir.appendingPathComponent("lenet5.dot").path, encoding: .utf8)
        XCTAssertTrue(dot.contains("rankdir=LR"))
    }

    func testModelAndNoParams() throws {
        let out = dir.appendingPathComponent("d.dot").path
        let o = try DLCProcess.run(["render", "Tests/DLCDriverTests/Golden/gan-two-models.dlg", "--model", "Discriminator",
                                    "-o", out, "--no-params"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let dot = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(dot.contains("digraph \"Discriminator\""))
        XCTAssertFalse(dot.contains("f32[32, 64]"), "parameters are hidden")
    }

    func testErrorsLeaveNoFile() throws {
        let cases: [([String], Int32, String)] = [
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("x.jpg").path], 2, "unknown output format '.jpg'"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("x").path], 2, "unknown output format (no extension)"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("no/such/dir.svg").path], 2, "cannot write"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("x.svg").path, "--model", "LeNet"], 1,
             "no model named 'LeNet'"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("x.svg").path, "--stage", "plan", "--batch", "0"], 2,
             "--batch must be 1 or more"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("x.svg").path, "--batch", "4"], 2,
             "--batch applies to --stage plan only"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("no/such/dir.png").path, "--stage", "plan"], 2,
             "cannot write"),
            (["render", "models/lenet5.dlg", "-o", dir.appendingPathComponent("x.svg").path, "--stage", "bogus"], 2,
             "'bogus' is invalid"),
            (["render", "Tests/DLCDriverTests/Golden/gan-two-models.dlg", "-o", dir.appendingPathComponent("x.svg").path], 2,
             "choose one with --model"),
            (["render", "nope.dlg", "-o", dir.appendingPathComponent("x.svg").path], 2, "cannot read 'nope.dlg'"),
        ]
        for (args, status, message) in cases {
            let o = try DLCProcess.run(args)
            XCTAssertEqual(o.status, status, "\(args): \(o.stderr)")
            XCTAssertTrue(o.stderr.contains(message), "\(args): \(o.stderr)")
            XCTAssertEqual(o.stdout, "")
        }
        XCTAssertEqual(try contents(), [], "no partial or temporary file is left behind")
    }

    /// `--step` draws a training step's objective graph (both GAN models inlined, each in its
    /// own cluster) at any stage; an unknown step names the ones there are.
    func testTrainingStepsOfASectionWithSteps() throws {
        for stage in ["source", "train", "plan"] {
            let out = dir.appendingPathComponent("gan.d.\(stage).dot").path
            let o = try DLCProcess.run(["render", "models/gan.dlg", "--step", "d", "--stage", stage, "-o", out])
            XCTAssertEqual(o.status, 0, o.stderr)
            let dot = try String(contentsOfFile: out, encoding: .utf8)
            XCTAssertTrue(dot.contains("loss d"), stage)
            if stage == "source" {
                XCTAssertTrue(dot.contains("cluster_Generator\"") && dot.contains("cluster_Discriminator\""), dot)
            }
        }
        let bad = try DLCProcess.run(["render", "models/gan.dlg", "--step", "e", "-o", dir.appendingPathComponent("x.svg").path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("has no training step 'e'; did you mean 'd'?") || bad.stderr.contains("(steps: d, g)"), bad.stderr)
    }

    /// The fused and plan stages from the command line, each format.
    func testFusedAndPlanStages() throws {
        for (stage, ext) in [("fused", "svg"), ("plan", "png"), ("plan", "dot")] {
            let out = dir.appendingPathComponent("lenet5.\(stage).\(ext)").path
            let o = try DLCProcess.run(["render", "models/lenet5.dlg", "--stage", stage, "--batch", stage == "plan" ? "2" : "1", "-o", out])
            XCTAssertEqual(o.status, 0, o.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: out), out)
        }
        let dot = try String(contentsOfFile: dir.appendingPathComponent("lenet5.plan.dot").path, encoding: .utf8)
        XCTAssertTrue(dot.contains("execution plan, N=2"), dot)
    }

    func testCompileEmitDot() throws {
        let o = try DLCProcess.run(["compile", "models/mlp.dlg", "--emit=dot"])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(o.stdout.hasPrefix("digraph "), o.stdout)
    }
}

final class TrainStageTests: XCTestCase {
    /// The training step of LeNet-5: backward values drawn dashed red, the loss marked, one
    /// update node per optimizer state write, and Graphviz draws every node.
    func testLeNet5TrainingStep() throws {
        let r = try TestCompiler.compile(file: Repository.root.appendingPathComponent("models/lenet5.dlg"),
                                         options: CompileOptions(emit: .shapes))
        let g = try XCTUnwrap(r.graphs.first)
        let forward = g.nodes.count
        let annotations = try DiagramSupport.trainingStep(g, sections: r.trainSections, registry: TestCompiler.registry)
        XCTAssertEqual(annotations.forwardNodeCount, forward)
        XCTAssertFalse(g.updates.isEmpty)
        let d = renderer(RenderOptions(stage: .train)).diagram(g, annotations: annotations)
        XCTAssertTrue(d.edges.contains { $0.isGradient })
        XCTAssertTrue(d.nodes.contains { $0.kind == .loss && $0.isTrainedLoss })
        // One update node per parameter (its optimizer ops and moments together) and per other state.
        let updateTitles = Set(d.nodes.filter { $0.kind == .update }.map(\.title))
        for u in g.updates {
            let key = u.name.hasPrefix("optimizer.") ? u.name.split(separator: ".", maxSplits: 2).last.map(String.init)! : u.name
            XCTAssertTrue(updateTitles.contains("update " + key), "\(u.name) in \(updateTitles)")
        }
        XCTAssertEqual(updateTitles.count, 11, "10 parameters and the step counter")
        XCTAssertTrue(d.nodes.contains { $0.kind == .update && $0.lines.first?.contains("state: momentum") == true })
        XCTAssertTrue(d.nodes.contains { $0.isTraining })
        let dot = DotWriter().write(d)
        XCTAssertTrue(dot.contains("style=dashed"))
        XCTAssertTrue(dot.contains("peripheries=2"))
        let svg = try Graphviz.render(dot: dot, format: .svg)
        let parser = XMLParser(data: Data(svg))
        let counter = GraphvizOutputTests.SVGCounter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse())
        XCTAssertEqual(counter.nodes, d.nodeCount)
    }

    func testTrainCommand() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dlc-train-\(UUID().uuidString).svg").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let o = try DLCProcess.run(["render", "models/mlp.dlg", "--stage=train", "-o", out])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        let bad = try DLCProcess.run(["render", "Tests/DLCDriverTests/Golden/gan-two-models.dlg", "--model", "Generator",
                                      "--stage=train", "-o", out + ".svg"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("declares no loss"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".svg"))
    }
}
