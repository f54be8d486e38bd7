import DLCCore
import DLCData
import DLCDriver
import DLCFrontend
import Foundation

/// `samples: grid(of:, show:, from:, rows:, every:, scale:, seed:)` of a train section:
/// after every `every` epochs, the model runs in inference mode with the value `from` (an
/// input, or any named value inside the model such as a VAE's code `z`) replaced by fixed
/// N(0, 1) noise for rows × rows samples, and its output `show` is written as an image
/// grid `samples/epoch-NNN.png` (each image upscaled `scale` times) and as the raw array
/// `samples/epoch-NNN.npy` in the run's directory.
public struct SampleGridSettings: Equatable {
    /// The model sampled (default: the model trained).
    public var model: String?
    /// Its output drawn (`show:`; default: its first output).
    public var output: String?
    /// The value fed noise (default: the model's first floating-point input).
    public var from: String?
    public var rows = 8
    public var every = 1
    public var scale = 4
    public var seed = 0

    /// Reads the checked setting; nil when the section has none.
    public init?(_ settings: [String: TrainValue]) {
        guard case .call(_, let args)? = settings["samples"] else { return nil }
        func text(_ k: String) -> String? { if case .value(let v)? = args[k] { v.stringValue } else { nil } }
        func int(_ k: String) -> Int? { if case .value(.int(let v))? = args[k] { v } else { nil } }
        model = text("of")
        output = text("show")
        from = text("from")
        rows = int("rows") ?? rows
        every = int("every") ?? every
        scale = int("scale") ?? scale
        seed = int("seed") ?? seed
    }
}

/// Draws the sample grids of a run: the sampling graph (the model's graph with `from`
/// replaced by an input), its runner and the fixed noise.
final class SampleGrid {
    let settings: SampleGridSettings
    let model: String
    let runner: StepRunner
    let noiseInput: String
    let noise: HostTensor
    let outputName: String
    /// The parameters the sampling graph reads.
    let parameterNames: Set<String>
    /// Pixels of one image: height, width, channels.
    let layout: (height: Int, width: Int, channels: Int)

    /// - Throws: `DLCError` naming the setting when the model, output or value does not exist
    ///   or the output is not an image.
    init(_ settings: SampleGridSettings, defaultModel: String?, source: SourceFile, registry: Registry) throws {
        self.settings = settings
        guard let model = settings.model ?? defaultModel else {
            throw DLCError("'samples' needs 'of:' in a section with steps (the model to draw samples from)")
        }
        self.model = model
        if let trained = defaultModel, model != trained {
            throw DLCError("'samples' names model '\(model)', but this section trains '\(trained)'")
        }
        guard settings.rows <= 32, settings.scale <= 16 else {
            throw DLCError("'samples' draws at most 32 × 32 images, each upscaled at most 16 times; found rows \(settings.rows), scale \(settings.scale)")
        }
        let compiled = Compiler(registry: registry).compile(source, options: CompileOptions(model: model))
        guard compiled.status == 0, let g = compiled.graphs.first, g.name == model else {
            throw DLCError("'samples' names model '\(model)', which the file does not define")
        }
        let count = settings.rows * settings.rows
        let (graph, input) = try Self.samplingGraph(g, from: settings.from, output: settings.output)
        outputName = graph.outputs[0].name
        let inputType = graph[graph.inputNodes[0].outputs[0]].type
        let shape = inputType.shape.map { $0.value ?? count }
        guard shape.first == count else {
            throw DLCError("'samples': '\(input)' of model '\(model)' is \(inputType); it needs the batch size N as its first dimension")
        }
        noiseInput = input
        var rng = SplitMix64(seed: settings.seed)
        noise = HostTensor(shape: shape, f64: Self.normal(shape.reduce(1, *), &rng)).converted(to: inputType.dtype)
        let outType = graph[graph.outputs[0].value].type
        let dims = outType.shape.dropFirst().map { $0.value ?? -1 }
        switch dims.count {
        case 1 where dims[0] >= 4 && Int(Double(dims[0]).squareRoot().rounded()) * Int(Double(dims[0]).squareRoot().rounded()) == dims[0]:
            let side = Int(Double(dims[0]).squareRoot().rounded())
            layout = (side, side, 1)
        case 2 where dims.allSatisfy { $0 > 0 }: layout = (dims[0], dims[1], 1)
        case 3 where (dims[0] == 1 || dims[0] == 3) && dims[1] > 0 && dims[2] > 0: layout = (dims[1], dims[2], dims[0])
        default:
            throw DLCError("'samples': output '\(outputName)' of model '\(model)' is \(outType), not images ([N, H·H], [N, H, W] or [N, C, H, W] with C = 1 or 3)")
        }
        parameterNames = Set(graph.paramNodes.compactMap { $0.attributes["name"]?.stringValue })
        try ExecutionPasses.run(graph, registry: registry, inference: true)
        runner = try StepRunner(graph: graph, registry: registry, training: false, seed: UInt64(truncatingIfNeeded: settings.seed))
    }

    /// Whether a grid is due after this epoch (every `every` epochs, and after the last).
    func isDue(epoch: Int, of total: Int) -> Bool { epoch % settings.every == 0 || epoch == total }

    /// Runs the model on the noise with `state` (the model's parameters by their own names) and
    /// writes `samples/epoch-NNN.png` and `.npy` under `directory`. Returns the PNG's path.
    @discardableResult
    func write(epoch: Int, state: [String: HostTensor], directory: String) throws -> String {
        try runner.setState(state.filter { parameterNames.contains($0.key) })
        let count = settings.rows * settings.rows
        let out = try runner.run([noiseInput: noise], batch: count)
        guard let images = out[outputName] else { throw DLCError("the sampling graph did not produce '\(outputName)'") }
        try AtomicFile.makeDirectory(directory + "/samples")
        let stem = directory + "/samples/" + String(format: "epoch-%03d", epoch)
        try Npy.write(images, to: stem + ".npy")
        let png = try Self.grid(images.doubles, count: count, rows: settings.rows, layout: layout, scale: settings.scale)
        try AtomicFile.write(try png.encoded(), to: stem + ".png")
        return stem + ".png"
    }

    /// The images side by side, rows × rows, each pixel a scale × scale block, with a
    /// 1-pixel dark gap. Values map to grey levels linearly from min(0, smallest) to
    /// max(1, largest), so [0, 1] and [−1, 1] outputs both show at full contrast.
    static func grid(_ values: [Double], count: Int, rows: Int, layout: (height: Int, width: Int, channels: Int),
                     scale: Int) -> PNGImage {
        let (h, w, c) = layout
        let finite = values.filter(\.isFinite)
        let lo = min(0, finite.min() ?? 0), hi = max(1, finite.max() ?? 1)
        let cellW = w * scale + 1, cellH = h * scale + 1
        var image = PNGImage(width: rows * cellW + 1, height: rows * cellH + 1, channels: c, fill: 40)
        for k in 0..<count {
            let x0 = (k % rows) * cellW + 1, y0 = (k / rows) * cellH + 1
            for y in 0..<(h * scale) {
                for x in 0..<(w * scale) {
                    for ch in 0..<c {
                        let v = values[k * h * w * c + ch * h * w + (y / scale) * w + x / scale]
                        let level = v.isFinite ? (v - lo) / (hi - lo) * 255 : 0
                        image.pixels[((y0 + y) * image.width + x0 + x) * c + ch] = UInt8(max(0, min(255, level.rounded())))
                    }
                }
            }
        }
        return image
    }

    /// Standard normal draws (Box–Muller).
    static func normal(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
        (0..<n).map { _ in
            let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        }
    }

    /// The model's graph with `from` (an input or a named value) replaced by an input, and
    /// `output` (default the first) as its only output; what the output no longer depends
    /// on is left out.
    static func samplingGraph(_ g: Graph, from: String?, output: String?) throws -> (Graph, String) {
        guard let out = output.map({ name in g.outputs.first { $0.name == name } }) ?? g.outputs.first else {
            let names = g.outputs.map(\.name)
            throw DLCError("'samples': model '\(g.name)' has no output '\(output ?? "")'"
                           + (names.isEmpty ? "" : " (its outputs: \(names.joined(separator: ", ")))"))
        }
        let source: ValueID
        let name: String
        if let from {
            let input = g.inputNodes.first { $0.attributes["name"]?.stringValue == from }
            guard let v = input?.outputs[0] ?? g.values.last(where: { $0.name == from })?.id else {
                throw DLCError("'samples': model '\(g.name)' has no input or named value '\(from)'")
            }
            (source, name) = (v, from)
        } else {
            guard let input = g.inputNodes.first(where: { g[$0.outputs[0]].type.dtype.isFloat }) else {
                throw DLCError("'samples': model '\(g.name)' has no floating-point input to feed noise to; name one with 'from:'")
            }
            (source, name) = (input.outputs[0], input.attributes["name"]?.stringValue ?? "noise")
        }
        guard g[source].type.dtype.isFloat else {
            throw DLCError("'samples': '\(name)' of model '\(g.name)' is \(g[source].type), not floating point")
        }
        var needed = Set<Int>()
        var work = [g.producer(of: out.value).id.index]
        while let n = work.popLast() {
            guard needed.insert(n).inserted else { continue }
            if g.nodes[n].outputs.contains(source) { continue }
            for v in g.nodes[n].inputs { work.append(g[v].producer.index) }
        }
        let sampled = Graph(name: g.name + ".samples", location: g.location)
        let input = sampled.addNode(op: "input", inputs: [], outputTypes: [g[source].type], attributes: ["name": .string(name)],
                                    location: g[source].location, names: [name])
        var map: [ValueID: ValueID] = [source: input.outputs[0]]
        for node in g.nodes where needed.contains(node.id.index) {
            if node.outputs.contains(source) { continue }
            if node.op == "input" {
                throw DLCError("'samples': output '\(out.name)' of model '\(g.name)' still needs input '\(node.attributes["name"]?.stringValue ?? "?")' when '\(name)' is sampled")
            }
            let copy = sampled.addNode(op: node.op, inputs: node.inputs.map { map[$0]! }, outputTypes: node.outputs.map { g[$0].type },
                                       attributes: node.attributes, location: node.location, scope: node.scope, layer: node.layer,
                                       names: node.outputs.map { g[$0].name })
            for (a, b) in zip(node.outputs, copy.outputs) { map[a] = b }
        }
        sampled.outputs = [NamedValue(name: out.name, value: map[out.value]!, location: out.location)]
        return (sampled, name)
    }
}
