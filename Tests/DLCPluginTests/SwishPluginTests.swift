// The example external plugin (Plugins/Examples/Swish), built as its own package and loaded
// through the loader: the op's shape rule, gradient and kernels, the layer's parameters,
// training with it, and every way loading can fail.
import DLCCPU
import DLCCore
import DLCDriver
import DLCExperiment
import DLCOps
import DLCPasses
import DLCPluginLoader
import DLCReference
import Foundation
import XCTest
import _DLCTestSupport

/// Builds the example package once per process. The scratch directory `.build-swish` at the
/// repository root persists, so later runs only relink (seconds).
enum SwishLibrary {
    static let package = Repository.root.appendingPathComponent("Plugins/Examples/Swish").path
    static let scratch = ProcessInfo.processInfo.environment["DLC_SWISH_SCRATCH"]
        ?? Repository.root.appendingPathComponent(".build-swish").path

    static let path: Result<String, Error> = Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["swift", "build", "--package-path", package, "--scratch-path", scratch]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw DLCError("building \(package) failed:\n" + String(decoding: out, as: UTF8.self))
        }
        return scratch + "/debug/libDLCSwish.so"
    }

    static func get() throws -> String { try path.get() }
}

/// A registry with the standard plugins and the swish plugin loaded.
func swishRegistry() throws -> Registry {
    let r = Compiler.standardRegistry()
    try PluginLoader.load(try SwishLibrary.get(), into: r)
    return r
}

final class SwishPluginTests: XCTestCase {
    func testLoadsAndRegistersTheOpLayerAndKernels() throws {
        let path = try SwishLibrary.get()
        let r = Compiler.standardRegistry()
        let loaded = try PluginLoader.load(path, into: r)
        XCTAssertEqual(loaded.plugins, ["swish"])
        let info = try XCTUnwrap(r.plugins.first { $0.name == "swish" })
        XCTAssertEqual(info.path, path)
        XCTAssertEqual(info.ops, ["swish"])
        XCTAssertEqual(info.layers, ["swish_dense"])
        XCTAssertFalse(info.implicit)
        XCTAssertNotNil(r.ops["swish"]?.gradient)
        XCTAssertNotNil(r.kernel(of: "swish", for: .reference))
        XCTAssertNotNil(r.kernel(of: "swish", for: .cpu))
        // The built-in plugins carry no path.
        XCTAssertNil(r.plugins.first { $0.name == "builtin" }?.path)
    }

    func testALayerOfThePluginInADlgFile() throws {
        let r = try swishRegistry()
        let text = """
            use swish
            model M {
              input x: f32[N, 4]
              h = swish_dense(x, 3, beta: 1.5)
              out = swish_dense(h, 2)
              output y = swish(out, beta: 0.5)
            }
            """
        let res = Compiler(registry: r).compile(SourceFile(path: "m.dlg", text: text))
        XCTAssertEqual(res.status, 0, res.diagnosticsText)
        let g = try XCTUnwrap(res.graphs.first)
        let params = Dictionary(uniqueKeysWithValues: g.nodes.filter { $0.op == "param" }.map {
            ($0.attributes["name"]?.stringValue ?? "?", g[$0.outputs[0]].type.description)
        })
        XCTAssertEqual(params, ["h.weight": "f32[3, 4]", "h.bias": "f32[3]", "out.weight": "f32[2, 3]", "out.bias": "f32[2]"])
        let y = try XCTUnwrap(g.outputs.first)
        XCTAssertEqual(g[y.value].type.description, "f32[N, 2]")
        XCTAssertEqual(g.nodes.filter { $0.op == "swish" }.map { $0.attributes["beta"]?.doubleValue }, [1.5, 1, 0.5])

        // Without `use swish`, the layer is refused with the plugin's name.
        let bad = Compiler(registry: r).compile(SourceFile(path: "m.dlg", text: String(text.dropFirst("use swish\n".count))))
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.diagnosticsText.contains("swish"), bad.diagnosticsText)
        // The shape rule's error.
        let ints = Compiler(registry: r).compile(SourceFile(path: "i.dlg", text: """
            use swish
            model M {
              input x: i32[4]
              output y = swish(x)
            }
            """))
        XCTAssertEqual(ints.status, 1)
        XCTAssertTrue(ints.diagnosticsText.contains("'swish' needs a floating-point tensor, found i32[4]"), ints.diagnosticsText)
    }

    /// Σ swish(x, β)·R differentiated by the plugin's rule, against central differences,
    /// with the plugin's reference kernel.
    func testTheGradientMatchesFiniteDifferences() throws {
        let r = try swishRegistry()
        for beta in [1.0, 0.5, 2.5] {
            func build() throws -> (Graph, Tensor, Tensor) {
                let g = Graph(name: "Check")
                let b = GraphBuilder(graph: g, registry: r)
                let x = b.input(name: "x", type: TensorType(.f64, known: [2, 5]), location: .unknown)
                let w = b.input(name: "w", type: TensorType(.f64, known: [2, 5]), location: .unknown)
                let y = try b.op1("swish", [x], ["beta": .float(beta)])
                let loss = try b.op1("sum", [try b.op1("mul", [y, w])])
                g.losses = [NamedValue(name: "loss", value: loss.id, location: .unknown)]
                return (g, x, loss)
            }
            var rng = RandomSource(seed: 7)
            let xs = (0..<10).map { _ in rng.nextDouble() * 6 - 3 }, ws = (0..<10).map { _ in rng.nextDouble() * 2 - 1 }
            let feeds = ["x": HostTensor(shape: [2, 5], f64: xs), "w": HostTensor(shape: [2, 5], f64: ws)]
            let (g, x, loss) = try build()
            let grads = try Autodiff.differentiate(g, loss: loss.id, wrt: [x.id], registry: r)
            g.outputs.append(NamedValue(name: "dx", value: try XCTUnwrap(grads[x.id]), location: .unknown))
            let interp = ReferenceInterpreter(kernels: .standard, registry: r)
            let analytic = try interp.run(g, inputs: feeds, parameters: [:], seed: 0, training: false).outputs["dx"]!.doubles
            let (plain, _, _) = try build()
            let h = 1e-6
            for k in 0..<xs.count {
                func f(_ d: Double) throws -> Double {
                    var v = xs
                    v[k] += d
                    return try interp.run(plain, inputs: ["x": HostTensor(shape: [2, 5], f64: v), "w": feeds["w"]!],
                                          parameters: [:], seed: 0, training: false).losses["loss"]!.doubles[0]
                }
                let numeric = (try f(h) - f(-h)) / (2 * h)
                XCTAssertEqual(analytic[k], numeric, accuracy: 1e-7 * max(1, abs(numeric)), "beta \(beta), x[\(k)] = \(xs[k])")
            }
            // The forward value itself: x·sigmoid(βx).
            let y = try interp.run(plain, inputs: feeds, parameters: [:], seed: 0, training: false)
            XCTAssertEqual(y.losses["loss"]!.doubles[0], zip(xs, ws).reduce(0) { $0 + $1.0 / (1 + exp(-beta * $1.0)) * $1.1 },
                           accuracy: 1e-12)
        }
    }

    /// The CPU back end runs the plugin's own kernel, and agrees with the reference one.
    func testTheCPUKernelAgreesWithTheReference() throws {
        let r = try swishRegistry()
        let res = Compiler(registry: r).compile(SourceFile(path: "m.dlg", text: """
            use swish
            model M {
              input x: f32[N, 6]
              output y = swish(x, beta: 1.7)
            }
            """))
        XCTAssertEqual(res.status, 0, res.diagnosticsText)
        let g = res.graphs[0]
        let plan = try ExecutionPlan.build(g, bindings: ["N": 3], registry: r)
        XCTAssertEqual(plan.steps.map(\.kernel), [.custom])
        var rng = RandomSource(seed: 3)
        let x = HostTensor(shape: [3, 6], f32: (0..<18).map { _ in Float(rng.nextDouble() * 8 - 4) })
        let cpu = try DLCCPU.Executor(plan: plan).run(inputs: ["x": x])["y"]!.doubles
        let ref = try ReferenceInterpreter(registry: r).run(g, inputs: ["x": x], parameters: [:], seed: 0, training: false).outputs["y"]!.doubles
        for (a, b) in zip(cpu, ref) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// A tiny model with the plugin's layer learns the digits with the CPU back end.
    func testTrainsAModelWithThePluginLayer() throws {
        let r = try swishRegistry()
        let url = Repository.root.appendingPathComponent("Plugins/Examples/Swish/swish_mlp.dlg")
        let file = SourceFile(path: "Plugins/Examples/Swish/swish_mlp.dlg", bytes: try [UInt8](Data(contentsOf: url)))
        let result = try Trainer(registry: r).train(file)
        XCTAssertEqual(result.epochs.count, 3)
        XCTAssertLessThan(result.epochs.last!.loss, result.epochs.first!.loss)
        XCTAssertLessThan(result.epochs.last!.loss, 0.5)
        XCTAssertGreaterThan(try XCTUnwrap(result.testAccuracy), 0.85)
        XCTAssertEqual(result.parameters["h.weight"]?.shape, [32, 64])
    }
}

/// Every way loading a library can fail: one clear message naming the file.
final class PluginLoadErrorTests: XCTestCase {
    func loadError(_ path: String, into registry: Registry = Compiler.standardRegistry()) -> PluginLoadError? {
        do {
            try PluginLoader.load(path, into: registry)
            XCTFail("\(path) loaded")
            return nil
        } catch let e as PluginLoadError {
            return e
        } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func testMissingFile() {
        let e = loadError("/nonexistent/libNope.so")
        XCTAssertEqual(e?.kind, .missingFile)
        XCTAssertEqual(e?.description, "cannot load plugin /nonexistent/libNope.so: no such file")
    }

    func testATextFile() throws {
        let path = NSTemporaryDirectory() + "dlc-not-a-plugin-\(getpid()).so"
        try "not a library\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let e = loadError(path)
        XCTAssertEqual(e?.kind, .notALibrary)
        XCTAssertTrue(e?.description.hasPrefix("cannot load plugin \(path): not a loadable shared library (") ?? false, "\(String(describing: e))")
    }

    func testASharedLibraryThatIsNotAPlugin() throws {
        let libz = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }
        let path = try XCTUnwrap(libz, "libz.so.1 not found")
        let e = loadError(path)
        XCTAssertEqual(e?.kind, .missingEntryPoint)
        XCTAssertEqual(e?.description, "cannot load plugin \(path): it is a shared library but not a dlc plugin: it does not export 'dlc_plugin_register' (declare it with @_cdecl(\"dlc_plugin_register\"))")
    }

    func testAWrongABIVersion() throws {
        let path = try SwishLibrary.get()
        setenv("DLC_SWISH_FAKE_ABI_VERSION", "99", 1)
        defer { unsetenv("DLC_SWISH_FAKE_ABI_VERSION") }
        let r = Compiler.standardRegistry()
        let e = loadError(path, into: r)
        XCTAssertEqual(e?.kind, .abiMismatch)
        XCTAssertEqual(e?.description, "cannot load plugin \(path): it was built for plugin ABI version 99, but this dlc has version \(dlcPluginABIVersion); rebuild the plugin against this dlc's DLCCore")
        XCTAssertFalse(r.isInstalled("swish"))
        // A negative code: the plugin's own failure.
        setenv("DLC_SWISH_FAKE_ABI_VERSION", "-4", 1)
        XCTAssertEqual(loadError(path, into: r)?.description, "cannot load plugin \(path): its dlc_plugin_register failed with code -4")
    }

    func testADuplicateLayerName() throws {
        let path = try SwishLibrary.get()
        let r = Compiler.standardRegistry()
        try r.install(Plugin(name: "other", summary: "takes the name first") { r in
            try r.register(LayerSpec("swish_dense", signature: Signature([ArgSpec("x", .tensor)]), summary: "",
                                     createsParameters: false) { _, args in [try args.tensor("x")] })
        })
        let e = loadError(path, into: r)
        XCTAssertEqual(e?.kind, .registration)
        XCTAssertEqual(e?.description, "cannot load plugin \(path): plugin 'swish': layer 'swish_dense' is already registered by plugin 'other'")
        // All or nothing: the op the plugin registered before the clash is gone again.
        XCTAssertNil(r.ops["swish"])
        XCTAssertFalse(r.isInstalled("swish"))
    }

    func testLoadingTheSameLibraryTwice() throws {
        let path = try SwishLibrary.get()
        let r = try swishRegistry()
        XCTAssertEqual(loadError(path, into: r)?.description,
                       "cannot load plugin \(path): plugin 'swish': plugin 'swish' is already loaded (from \(path))")
    }

    func testTheSearchPath() throws {
        let path = try SwishLibrary.get()
        let dir = (path as NSString).deletingLastPathComponent
        let libs = try PluginLoader.libraries(inSearchPath: dir + "::" + path)
        XCTAssertTrue(libs.contains(dir + "/libDLCSwish.so"), "\(libs)")
        XCTAssertFalse(libs.contains { $0.hasSuffix("/libDLCCore.so") }, "\(libs)")
        XCTAssertEqual(libs.last, path)
        XCTAssertThrowsError(try PluginLoader.libraries(inSearchPath: "/nonexistent/dir")) {
            XCTAssertEqual(($0 as? PluginLoadError)?.description,
                           "cannot load plugin /nonexistent/dir: no such file or directory (from DLC_PLUGIN_PATH)")
        }
    }
}

/// docs/plugins.md stays true: its Swift excerpts are in the files they quote, and its
/// `dlg` examples compile with the plugin loaded.
final class PluginDocsTests: XCTestCase {
    func testTheTutorialQuotesTheExampleAndItsExamplesCompile() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("docs/plugins.md"), encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        var quoted = 0, compiled = 0, from: String?
        var i = 0
        let r = try swishRegistry()
        while i < lines.count {
            let line = lines[i]
            if line.hasPrefix("From `"), let end = line.dropFirst(6).firstIndex(of: "`") {
                from = String(line.dropFirst(6)[..<end])
            } else if line.hasPrefix("```"), line.count > 3 {
                let tag = String(line.dropFirst(3))
                var body: [String] = []
                i += 1
                while i < lines.count, lines[i] != "```" { body.append(lines[i]); i += 1 }
                let block = body.joined(separator: "\n")
                if tag == "swift", let path = from {
                    let file = try String(contentsOf: Repository.root.appendingPathComponent(path), encoding: .utf8)
                    XCTAssertTrue(file.contains(block), "docs/plugins.md quotes \(path), but the file does not contain:\n\(block)")
                    quoted += 1
                } else if tag == "dlg" {
                    let res = Compiler(registry: r).compile(SourceFile(path: "docs/plugins.md", text: block))
                    XCTAssertEqual(res.status, 0, res.diagnosticsText)
                    XCTAssertEqual(res.diagnosticsText, "")
                    compiled += 1
                }
                from = nil
            }
            i += 1
        }
        XCTAssertGreaterThanOrEqual(quoted, 6)
        XCTAssertGreaterThanOrEqual(compiled, 1)
        // The .dlg example of the tutorial is the file it names.
        let example = try String(contentsOf: Repository.root.appendingPathComponent("Plugins/Examples/Swish/swish_mlp.dlg"), encoding: .utf8)
        XCTAssertTrue(text.contains(example.components(separatedBy: "\n").drop { $0.hasPrefix("#") }.joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

/// The command line: `--plugin` before or after the subcommand, `dlc plugins` shows the path,
/// and a bad library stops dlc with status 2 before the subcommand runs.
final class PluginCommandLineTests: XCTestCase {
    func testPluginOptionAndListing() throws {
        let path = try SwishLibrary.get()
        let listed = try DLCProcess.run(["--plugin", path, "plugins"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.contains("swish (use swish) — the swish activation"), listed.stdout)
        XCTAssertTrue(listed.stdout.contains("  loaded from: \(path)\n  layers: swish_dense\n  ops: swish\n"), listed.stdout)
        XCTAssertTrue(listed.stdout.hasPrefix("builtin"), listed.stdout)

        let model = Repository.root.appendingPathComponent("Plugins/Examples/Swish/swish_mlp.dlg").path
        let compiled = try DLCProcess.run(["compile", model, "--plugin=\(path)"])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        XCTAssertTrue(compiled.stdout.contains("h       swish_dense  f32[N, 32]  2,080"), compiled.stdout)

        let bad = try DLCProcess.run(["--plugin", "/nonexistent/libX.so", "compile", model])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr, "error: cannot load plugin /nonexistent/libX.so: no such file\n")
        XCTAssertEqual(bad.stdout, "")
    }
}
