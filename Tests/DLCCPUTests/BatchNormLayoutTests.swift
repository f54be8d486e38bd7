// Batch normalization's training kernels (batch_norm_training.c, BatchNormBinding.swift): the
// same bits in every layout they address, close to a double-precision reference, and a
// convolution / batch norm / ReLU / residual stack that stays in oneDNN's layout through them
// while giving the plan without kept layouts' numbers.
import CKernels
@testable import DLCCPU
import DLCCore
import DLCTraining
import XCTest

final class BatchNormLayoutTests: XCTestCase {
    /// A layout as the kernels take it, with the elements the memory holds.
    private struct Layout {
        var name: String
        var strides: [Int64]  // image, block stride, position stride, block
        var elements: Int

        func offset(_ n: Int, _ c: Int, _ p: Int) -> Int {
            let block = Int(strides[3])
            return n * Int(strides[0]) + (c / block) * Int(strides[1]) + p * Int(strides[2]) + c % block
        }
    }

    private func layouts(n: Int, c: Int, s: Int) -> [Layout] {
        let c8 = (c + 7) / 8 * 8, c16 = (c + 15) / 16 * 16
        return [Layout(name: "nchw", strides: [Int64(c * s), Int64(s), 1, 1], elements: n * c * s),
                Layout(name: "nhwc", strides: [Int64(s * c), 0, Int64(c), Int64(c)], elements: n * c * s),
                Layout(name: "nChw8c", strides: [Int64(c8 * s), Int64(8 * s), 8, 8], elements: n * c8 * s),
                Layout(name: "nChw16c", strides: [Int64(c16 * s), Int64(16 * s), 16, 16], elements: n * c16 * s)]
    }

    /// Forward and backward over NCHW, NHWC and 8- and 16-channel blocks (padded) give the same
    /// bits — statistics, y, dx, dweight, dbias — for a position count that is not a multiple of
    /// the 16 partial sums and for one large enough to share channels among threads; the padding
    /// stays zero; and the results match a double-precision computation.
    func testEveryLayoutGivesTheSameBitsAndTheReferenceValues() {
        for (n, c, s) in [(3, 20, 35), (8, 40, 16 * 16)] {
            let count = n * c * s
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(count)
            func next() -> Float {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 250
            }
            // x with a per-channel offset, so the mean matters.
            let x = (0..<count).map { i in next() + Float((i / s) % c) * 0.5 }, dy = (0..<count).map { _ in next() }
            let w = (0..<c).map { _ in next() }, b = (0..<c).map { _ in next() }
            let eps = 1e-5
            var first: (mean: [Float], variance: [Float], y: [Float], dx: [Float], dw: [Float], db: [Float])?
            for l in layouts(n: n, c: c, s: s) {
                var lx = [Float](repeating: 0, count: l.elements), ldy = lx
                for i in 0..<n { for k in 0..<c { for p in 0..<s {
                    lx[l.offset(i, k, p)] = x[(i * c + k) * s + p]
                    ldy[l.offset(i, k, p)] = dy[(i * c + k) * s + p]
                } } }
                var ly = [Float](repeating: 0, count: l.elements), ldx = ly
                var mean = [Float](repeating: 0, count: c), variance = mean, dw = mean, db = mean
                XCTAssertEqual(dlc_batch_norm_training(Int64(n), Int64(c), Int64(s), l.strides, lx, w, b, eps, &ly, &mean, &variance), 0)
                XCTAssertEqual(dlc_batch_norm_backward(Int64(n), Int64(c), Int64(s), l.strides, lx, w, mean, variance, ldy, eps,
                                                       &ldx, &dw, &db), 0)
                var y = [Float](repeating: 0, count: count), dx = y
                var written = Set<Int>()
                for i in 0..<n { for k in 0..<c { for p in 0..<s {
                    y[(i * c + k) * s + p] = ly[l.offset(i, k, p)]
                    dx[(i * c + k) * s + p] = ldx[l.offset(i, k, p)]
                    written.insert(l.offset(i, k, p))
                } } }
                for j in 0..<l.elements where !written.contains(j) {
                    XCTAssertTrue(ly[j] == 0 && ldx[j] == 0, "\(l.name): padding at \(j)")
                }
                guard let f = first else { first = (mean, variance, y, dx, dw, db); continue }
                XCTAssertEqual(mean, f.mean, "\(l.name) \(n)×\(c)×\(s)")
                XCTAssertEqual(variance, f.variance, "\(l.name) \(n)×\(c)×\(s)")
                XCTAssertEqual(y, f.y, "\(l.name) \(n)×\(c)×\(s)")
                XCTAssertEqual(dx, f.dx, "\(l.name) \(n)×\(c)×\(s)")
                XCTAssertEqual(dw, f.dw, "\(l.name) \(n)×\(c)×\(s)")
                XCTAssertEqual(db, f.db, "\(l.name) \(n)×\(c)×\(s)")
            }
            // The reference, in double.
            let m = Double(n * s)
            for k in 0..<c {
                let idx = (0..<n).flatMap { i in (0..<s).map { (i * c + k) * s + $0 } }
                let mu = idx.reduce(0.0) { $0 + Double(x[$1]) } / m
                let v = idx.reduce(0.0) { $0 + (Double(x[$1]) - mu) * (Double(x[$1]) - mu) } / m
                let inv = 1 / (v + eps).squareRoot()
                let sdy = idx.reduce(0.0) { $0 + Double(dy[$1]) }
                let sdyx = idx.reduce(0.0) { $0 + Double(dy[$1]) * (Double(x[$1]) - mu) }
                XCTAssertEqual(Double(first!.mean[k]), mu, accuracy: 1e-5 * max(1, abs(mu)))
                XCTAssertEqual(Double(first!.variance[k]), v, accuracy: 1e-5 * v)
                XCTAssertEqual(Double(first!.db[k]), sdy, accuracy: 1e-4 * max(1, abs(sdy)))
                XCTAssertEqual(Double(first!.dw[k]), sdyx * inv, accuracy: 1e-4 * max(1, abs(sdyx * inv)))
                for j in idx.prefix(40) {
                    let xh = (Double(x[j]) - mu) * inv
                    XCTAssertEqual(Double(first!.y[j]), xh * Double(w[k]) + Double(b[k]), accuracy: 1e-4)
                    let dxr = Double(w[k]) * inv * (Double(dy[j]) - sdy / m - xh * sdyx * inv / m)
                    XCTAssertEqual(Double(first!.dx[j]), dxr, accuracy: 1e-4)
                }
            }
        }
    }

    func testRejectsEmptyShapes() {
        var y = [Float](repeating: 0, count: 4), mean = y, variance = y
        let l: [Int64] = [4, 1, 1, 1], x = [Float](repeating: 1, count: 4)
        XCTAssertEqual(dlc_batch_norm_training(0, 4, 1, l, x, x, x, 1e-5, &y, &mean, &variance), -1)
        XCTAssertEqual(dlc_batch_norm_training(1, 4, 1, [4, 1, 1, 0], x, x, x, 1e-5, &y, &mean, &variance), -1)
    }

    /// A residual stack of 16-channel convolutions with batch norm: with assign-layouts, every
    /// batch-norm step but the one at the stack's end reads its data operands in the
    /// convolutions' layout and keeps its result there, and so do the ReLUs and the residual sum;
    /// kept values take their own arena memory, their plain bytes going elsewhere when needed;
    /// the training step equals the plan without
    /// kept layouts within 1e-5 over three steps, parameters included.
    func testResidualStackStaysInOneLayoutAndMatchesThePlainPlan() throws {
        let source = """
        model Residual {
          input image: f32[N, 3, 10, 10]
          input label: i32[N]
          a = conv2d(image, 16, kernel: 3, padding: 1, bias: false) |> batchnorm |> relu
          b = conv2d(a, 16, kernel: 3, padding: 1, bias: false) |> batchnorm |> relu
          c = conv2d(b, 16, kernel: 3, padding: 1, bias: false) |> batchnorm
          d = relu(c + a)
          logits = dense(flatten(global_avgpool(d)), 5)
          loss ce = cross_entropy(logits, label)
        }
        """
        let pair = try LayoutPair(source, optimizer: OptimizerConfig(kind: .adam, lr: 0.01), batch: 6, classes: 5, seed: 3)
        try pair.assertSameSteps(3)
        let (kept, e1, e2) = (pair.kept, pair.withLayouts, pair.withoutLayouts)
        XCTAssertTrue(e2.keptReads.isEmpty)
        // The stack's end: the last batch norm's dy comes from the global pooling's gradient
        // (plain, broadcast over the positions), so its backward step reads plain operands.
        let end = kept.steps.firstIndex { $0.kernel == .batchNormBackward }!
        var batchNormSteps = 0
        for (i, s) in kept.steps.enumerated() {
            switch s.kernel {
            case .batchNormTraining, .batchNormBackward:
                batchNormSteps += 1
                if i == end { continue }
                XCTAssertEqual(e1.keptReads[i], s.kernel == .batchNormTraining ? [0] : [0, 4], "step \(i) \(s.op)")
                XCTAssertNotNil(e1.keptLayouts[s.outputs[0]], "step \(i) \(s.op): result kept")
            case .unary, .binary, .fused:
                // Forward: the ReLUs and the residual sum run on the kept layout.
                if i < kept.steps.firstIndex(where: { $0.op == "global_avgpool" })! {
                    XCTAssertNotNil(e1.keptReads[i], "step \(i) \(s.op)")
                }
            default:
                break
            }
        }
        XCTAssertEqual(batchNormSteps, 6)
        // Kept values live in their own arena memory where they may; the stack's last value,
        // which the global pooling reads plain, got its plain bytes elsewhere.
        let inArena = e1.keptLayouts.filter { $0.value.pointer == e1.arenaPointer($0.key) }
        XCTAssertGreaterThan(inArena.count, 10)
        let pooled = kept.steps.first { $0.op == "global_avgpool" }!.inputs[0]
        XCTAssertTrue(inArena.keys.contains(pooled))
        XCTAssertNotNil(e1.plainElsewhere[pooled])
        // An elementwise step runs on a kept layout only when no more of its operands would have
        // to be converted into it than lie there (AlexNet's LRN gradient: one kept among plain).
        let (value, layout) = e1.keptLayouts.first!
        let plainValues = (0..<kept.buffers.count).filter { e1.keptLayouts[$0] == nil }
        XCTAssertTrue(e1.mostlyIn(layout, [value, plainValues[0]]))
        XCTAssertFalse(e1.mostlyIn(layout, [value, plainValues[0], plainValues[1]]))
    }
}
