// Our own kernels on oneDNN's layouts (KernelLayouts.swift): the pooling gradient by strides,
// fused elementwise programs as one flat run over a shared layout (padding kept zero), the
// per-channel sum by strides, plain bytes reordered before a reader that cannot, and each
// reads them in place only where that gives the same numbers as the plain plan.
import CKernels
@testable import DLCCPU
import DLCCore
import DLCPasses
import DLCReference
import DLCTraining
import XCTest

final class KernelLayoutTests: XCTestCase {
    /// dlc_pool_backward over NCHW, NHWC, one block of 8 channels and two blocks of 4 (padded,
    /// g plain) gives the same gradient, max and average, whole and clipped windows; the
    /// padding stays zero.
    func testPoolingGradientReadsAnyStridedLayout() {
        let (n, c, h, w) = (2, 5, 7, 6)
        // Strides of (n, c, h, w), then channels a block and the blocks' distance (0, 0: none).
        let layouts: [(name: String, strides: [Int], count: Int)] = [
            ("nchw", [c * h * w, h * w, w, 1, 0, 0], n * c * h * w),
            ("nhwc", [h * w * c, 1, w * c, c, 0, 0], n * c * h * w),
            ("nChw8c", [8 * h * w, 1, 8 * w, 8, 0, 0], n * 8 * h * w),
            ("nChw4c", [8 * h * w, 1, 4 * w, 4, 4, 4 * h * w], n * 8 * h * w),  // two blocks, padded
        ]
        /// Element offset of channel j at (y, x) of image i.
        func at(_ st: [Int], _ i: Int, _ j: Int, _ y: Int, _ x: Int) -> Int {
            let channel = st[4] > 0 ? (j / st[4]) * st[5] + (j % st[4]) * st[1] : j * st[1]
            return i * st[0] + channel + y * st[2] + x * st[3]
        }
        var seed: UInt64 = 7
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(seed >> 40) % 2001 - 1000) / 250  // ties (for the first-maximum rule) included
        }
        let x = (0..<(n * c * h * w)).map { _ in next() }
        // (isMax, kernel, stride, padding)
        for (isMax, k, s, p) in [(1, 2, 2, 0), (1, 3, 2, 1), (0, 3, 2, 1), (0, 2, 1, 0)] {
            let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
            let g = (0..<(n * c * oh * ow)).map { _ in next() }
            var results: [[Float]] = []
            for l in layouts {
                // The same logical x and g, laid out with l's strides (g in the same layout family;
                // for the 4-channel blocks, plain NCHW: a block's g is 4 planes on).
                let gStrides = l.name == "nchw" || l.name == "nChw4c" ? [c * oh * ow, oh * ow, ow, 1, 0, 0]
                    : l.name == "nhwc" ? [oh * ow * c, 1, ow * c, c, 0, 0] : [8 * oh * ow, 1, 8 * ow, 8, 0, 0]
                var xl = [Float](repeating: 0, count: l.count), gl = [Float](repeating: 0, count: n * 8 * oh * ow)
                for i in 0..<n { for j in 0..<c {
                    for y in 0..<h { for xx in 0..<w { xl[at(l.strides, i, j, y, xx)] = x[((i * c + j) * h + y) * w + xx] } }
                    for y in 0..<oh { for xx in 0..<ow { gl[at(gStrides, i, j, y, xx)] = g[((i * c + j) * oh + y) * ow + xx] } }
                } }
                let gArgs = Array(gStrides[0..<4]) + [l.name == "nChw4c" ? 4 * oh * ow : 0]
                var yl = [Float](repeating: .nan, count: l.count)
                let status = dlc_pool_backward(Int32(DType.f32.code), Int32(isMax), Int64(n), Int64(c), Int64(h), Int64(w), Int64(k),
                                               Int64(k), Int64(oh), Int64(ow), Int64(s), Int64(s), Int64(p), Int64(p),
                                               l.strides.map(Int64.init), gArgs.map(Int64.init), Int64(l.count), xl, gl, &yl)
                XCTAssertEqual(status, 0)
                var logical = [Float](repeating: 0, count: n * c * h * w)
                for i in 0..<n { for j in 0..<c { for y in 0..<h { for xx in 0..<w {
                    logical[((i * c + j) * h + y) * w + xx] = yl[at(l.strides, i, j, y, xx)]
                } } } }
                if l.name != "nchw" && l.name != "nhwc" {
                    let written = Set((0..<n).flatMap { i in (0..<c).flatMap { j in (0..<h).flatMap { y in (0..<w).map { at(l.strides, i, j, y, $0) } } } })
                    let padding = (0..<l.count).filter { !written.contains($0) }.map { yl[$0] }
                    XCTAssertFalse(padding.isEmpty)
                    XCTAssertTrue(padding.allSatisfy { $0 == 0 }, "padding of the blocked result is zeroed")
                }
                results.append(logical)
            }
            XCTAssertEqual(results[1], results[0], "NHWC, isMax \(isMax) kernel \(k)")
            XCTAssertEqual(results[2], results[0], "nChw8c, isMax \(isMax) kernel \(k)")
            XCTAssertEqual(results[3], results[0], "two 4-channel blocks, isMax \(isMax) kernel \(k)")
            XCTAssertNotEqual(results[0].filter { $0 != 0 }.count, 0)
        }
    }

    /// A training step over convolution stacks of 6 channels (one 8-channel block, padded), 32
    /// and 64 channels (whatever oneDNN picks: NHWC, or several blocks, which strides cannot
    /// address, as for the data gradients): with the layouts it equals the plan without them within 1e-5, and our kernels
    /// read the kept values where the layout allows — the pooling gradients, the ReLU gradients'
    /// fused programs, the bias gradients' sums — and get plain bytes reordered for them where not.
    func testTrainingStepReadsKeptLayoutsInOurKernelsAndMatchesThePlainPlan() throws {
        let source = """
        model Stacks {
          input image: f32[N, 1, 16, 16]
          input label: i32[N]
          a = conv2d(image, 6, kernel: 3, padding: 1) |> relu |> maxpool2d(2)
          b = conv2d(a, 32, kernel: 3, padding: 1) |> relu |> maxpool2d(2)
          c = conv2d(b, 64, kernel: 3, padding: 1) |> relu |> avgpool2d(2)
          logits = dense(flatten(c), 5)
          loss ce = cross_entropy(logits, label)
        }
        """
        let pair = try LayoutPair(source, optimizer: OptimizerConfig(kind: .sgd, lr: 0.1), batch: 4, classes: 5, seed: 5)
        try pair.assertSameSteps(2)
        let (kept, e1, e2) = (pair.kept, pair.withLayouts, pair.withoutLayouts)
        // Our kernels read a kept value in place exactly when its layout is addressable by
        // strides (a fused program: when all its operands share the layout), and otherwise get
        // its plain bytes, reordered once.
        XCTAssertTrue(e2.keptReads.isEmpty)
        var inPlace: Set<Int> = [], reordered: Set<Int> = []
        for (i, s) in kept.steps.enumerated() where [.poolingBackward, .fused, .reduce].contains(s.kernel) {
            for (k, b) in s.inputs.enumerated() {
                guard let layout = e1.keptLayouts[b] else { continue }
                let read = e1.keptReads[i]?.contains(k) == true
                if s.kernel == .reduce { XCTAssertEqual(read, layout.logicalStrides != nil, "\(s.op) reading \(kept.buffers[b].name)") }
                if s.kernel == .poolingBackward, k == 0 {
                    XCTAssertEqual(read, e1.poolStrides(layout, kept.buffers[b].shape) != nil, "\(s.op) reading \(kept.buffers[b].name)")
                }
                if read { inPlace.insert(b) } else { reordered.insert(b) }
                if !read { XCTAssertTrue(e1.plainReady.contains(b), "\(s.op) reading \(kept.buffers[b].name)") }
            }
        }
        // The first layer's 6 channels (one block of 8, padded) are read in place, and so are the
        // pooling gradients' x of 32 and 64 channels in several blocks.
        XCTAssertTrue(inPlace.contains { kept.buffers[$0].shape[1] == 6 })
        for (i, s) in kept.steps.enumerated() where s.kernel == .poolingBackward {
            XCTAssertEqual(e1.keptReads[i]?.contains(0), true, "\(s.op) of \(kept.buffers[s.inputs[0]].shape)")
        }
        _ = reordered
        let readsKept = { (k: KernelKind) in e1.keptReads.filter { kept.steps[$0.key].kernel == k }.count }
        XCTAssertGreaterThanOrEqual(readsKept(.poolingBackward), 1)
        XCTAssertGreaterThanOrEqual(readsKept(.fused), 1, "a ReLU gradient")
        XCTAssertGreaterThanOrEqual(readsKept(.reduce), 1, "a bias gradient")
    }

    /// Enough images for two threads: the pooling gradient shares the images among libgomp's
    /// threads; each image's result is the one computed for it alone.
    func testPoolingGradientOverManyImagesMatchesImageByImage() {
        let (n, c, h, w) = (16, 8, 24, 24)
        let (oh, ow) = (12, 12)
        let xs: [Int64] = [Int64(h * w * c), 1, Int64(w * c), Int64(c), 0, 0], gs: [Int64] = [Int64(c * oh * ow), Int64(oh * ow), Int64(ow), 1, 0]
        let x = (0..<(n * c * h * w)).map { Float(($0 * 7919) % 1009) / 100 - 5 }
        let g = (0..<(n * c * oh * ow)).map { Float(($0 * 104729) % 997) / 100 - 5 }
        for isMax in [Int32(1), 0] {
            var all = [Float](repeating: .nan, count: x.count)
            XCTAssertEqual(dlc_pool_backward(Int32(DType.f32.code), isMax, Int64(n), Int64(c), Int64(h), Int64(w), 2, 2, Int64(oh),
                                             Int64(ow), 2, 2, 0, 0, xs, gs, Int64(x.count), x, g, &all), 0)
            for i in 0..<n {
                let xi = Array(x[(i * c * h * w)..<((i + 1) * c * h * w)]), gi = Array(g[(i * c * oh * ow)..<((i + 1) * c * oh * ow)])
                var one = [Float](repeating: .nan, count: xi.count)
                XCTAssertEqual(dlc_pool_backward(Int32(DType.f32.code), isMax, 1, Int64(c), Int64(h), Int64(w), 2, 2, Int64(oh), Int64(ow),
                                                 2, 2, 0, 0, xs, gs, Int64(xi.count), xi, gi, &one), 0)
                XCTAssertEqual(Array(all[(i * c * h * w)..<((i + 1) * c * h * w)]), one, "image \(i), isMax \(isMax)")
            }
        }
    }

    /// dlc_channel_sum: rows of 8 or 16 lanes (padded channels ignored), and other row lengths
    /// folded from wider rows, sum and mean, against a double sum of the channels alone.
    func testChannelSumAddsEachChannelOverItsRows() {
        for (rows, rowLength, channels) in [(50, 8, 6), (33, 16, 16), (64, 6, 6), (7, 6, 6), (12, 3, 3)] {
            let x = (0..<(rows * rowLength)).map { i in i % rowLength < channels ? Float((i * 37) % 101) / 7 - 6 : 0 }
            for mean in [0, 1] {
                var y = [Float](repeating: .nan, count: channels)
                XCTAssertEqual(dlc_channel_sum(Int32(DType.f32.code), Int32(mean), Int64(rows), Int64(rowLength), Int64(channels), x, &y), 0)
                for c in 0..<channels {
                    let sum = (0..<rows).reduce(0.0) { $0 + Double(x[$1 * rowLength + c]) }
                    XCTAssertEqual(Double(y[c]), mean == 1 ? sum / Double(rows) : sum, accuracy: 1e-4, "\(rows)×\(rowLength) channel \(c)")
                }
            }
        }
        var y = [Float](repeating: 0, count: 4)
        XCTAssertEqual(dlc_channel_sum(Int32(DType.f32.code), 0, 2, 3, 4, [Float](repeating: 1, count: 6), &y), -1, "more channels than a row holds")
    }

    /// A kept value two oneDNN steps want in another layout is converted once per run, into
    /// memory both read (here conv1's 8-channel blocks for two convolutions that want NHWC, as
    /// oneDNN chooses on this machine); the results match the reference.
    func testAValueTwoStepsWantInOneOtherLayoutIsConvertedOnce() throws {
        let g = try CPUTest.graph("""
        model Two {
          input x: f32[N, 1, 12, 12]
          a = conv2d(x, 8, kernel: 3, padding: 1)
          output b = conv2d(a, 16, kernel: 3)
          output c = conv2d(a, 16, kernel: 3, padding: 1)
        }
        """)
        try Pipelines.prepareForExecution(g, registry: CPUTest.registry, inference: true)
        let bindings = ["N": 4]
        let plan = try ExecutionPlan.build(g, bindings: bindings, registry: CPUTest.registry, training: false)
        XCTAssertEqual(plan.layoutChainBuffers().count, 1)
        let ex = try Executor(plan: plan)
        let params = ParameterInitializer.initialize(g, seed: 2), inputs = CPUTest.inputs(g, bindings: bindings, seed: 6)
        try ex.setState(params)
        XCTAssertLessThanOrEqual(try XCTUnwrap(ex.dnnl).conversions.count, 1)
        let ref = try ReferenceInterpreter(registry: CPUTest.registry).run(g, inputs: inputs, parameters: params, seed: 2)
        CPUTest.assertClose(try ex.run(inputs: inputs), ref.outputs, tolerance: 1e-4, "two readers")
    }
}
