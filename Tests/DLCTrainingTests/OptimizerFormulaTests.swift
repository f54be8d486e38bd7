import DLCCore
import DLCOps
import DLCReference
@testable import DLCTraining
import XCTest

/// Each optimizer's update, emitted as IR and run by the reference interpreter for a few
/// steps, equals its textbook (PyTorch) formula computed here in plain Swift.
final class OptimizerFormulaTests: XCTestCase {
    static let registry: Registry = {
        let r = Registry()
        try! r.install(builtinPlugin)
        return r
    }()

    /// Runs `steps` updates of one f64 parameter with the given gradients; returns its values.
    func runGraph(_ config: OptimizerConfig, initial: [Double], grads: [[Double]], lrs: [Double]) throws -> [[Double]] {
        let graph = Graph(name: "opt")
        let b = GraphBuilder(graph: graph, registry: Self.registry)
        let n = initial.count
        let p = try b.param("w", shape: [n], dtype: .f64, initializer: .zeros)
        let g = b.input(name: "g", type: TensorType(.f64, known: [n]), location: .unknown)
        let lr = b.input(name: "lr", type: .scalar(.f64), location: .unknown)
        let t0 = try b.param("t", shape: [Int](), dtype: .f64, initializer: .zeros, trainable: false)
        let t = try b.op1("add", [t0, b.constant(1, dtype: .f64)])
        let updates = try OptimizerUpdate(b: b, config: config, lr: lr, step: t).update(param: p, named: "w", grad: g)
        graph.updates = [NamedValue(name: "t", value: t.id, location: .unknown)]
            + updates.map { NamedValue(name: $0.0, value: $0.1.id, location: .unknown) }

        var state = ParameterInitializer.initialize(graph, seed: 0)
        state["w"] = HostTensor(shape: [n], f64: initial)
        var history: [[Double]] = []
        for (k, grad) in grads.enumerated() {
            let r = try ReferenceInterpreter(registry: Self.registry).run(
                graph, inputs: ["g": HostTensor(shape: [n], f64: grad), "lr": HostTensor(shape: [], f64: [lrs[k]])],
                parameters: state)
            for (name, value) in r.updates { state[name] = value }
            history.append(state["w"]!.doubles)
        }
        return history
    }

    /// PyTorch's torch.optim formulas, elementwise.
    func textbook(_ c: OptimizerConfig, initial: [Double], grads: [[Double]], lrs: [Double]) -> [[Double]] {
        var p = initial
        var m = [Double](repeating: 0, count: p.count), v = m, buf = m, s = m
        var history: [[Double]] = []
        for (k, grad) in grads.enumerated() {
            let t = Double(k + 1), lr = lrs[k]
            for i in p.indices {
                var g = grad[i]
                if c.weightDecay != 0 && c.kind != .adamw { g += c.weightDecay * p[i] }
                switch c.kind {
                case .sgd:
                    if c.momentum != 0 {
                        buf[i] = c.momentum * buf[i] + g
                        g = c.nesterov ? g + c.momentum * buf[i] : buf[i]
                    }
                    p[i] -= lr * g
                case .adagrad:
                    s[i] += g * g
                    p[i] -= lr * g / (s[i].squareRoot() + c.eps)
                case .rmsprop:
                    s[i] = c.alpha * s[i] + (1 - c.alpha) * g * g
                    let scaled = g / (s[i].squareRoot() + c.eps)
                    if c.momentum != 0 {
                        buf[i] = c.momentum * buf[i] + scaled
                        p[i] -= lr * buf[i]
                    } else {
                        p[i] -= lr * scaled
                    }
                case .adam, .adamw:
                    if c.kind == .adamw { p[i] *= 1 - lr * c.weightDecay }
                    m[i] = c.beta1 * m[i] + (1 - c.beta1) * g
                    v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g
                    let mHat = m[i] / (1 - pow(c.beta1, t)), vHat = v[i] / (1 - pow(c.beta2, t))
                    p[i] -= lr * mHat / (vHat.squareRoot() + c.eps)
                }
            }
            history.append(p)
        }
        return history
    }

    func check(_ config: OptimizerConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        let initial = [0.5, -1.25, 2.0, 0.0]
        let grads = [[0.1, -0.2, 0.3, 0.0], [-0.4, 0.5, 0.05, 1.0], [0.2, 0.2, -0.7, -0.3], [1.5, -0.1, 0.0, 0.25]]
        let lrs = [0.1, 0.1, 0.05, 0.02]  // a schedule: the rate is an input of each step
        let got = try runGraph(config, initial: initial, grads: grads, lrs: lrs)
        let want = textbook(config, initial: initial, grads: grads, lrs: lrs)
        for (k, (a, b)) in zip(got, want).enumerated() {
            for (x, y) in zip(a, b) {
                XCTAssertEqual(x, y, accuracy: 1e-12 * max(1, abs(y)), "\(config.kind) step \(k + 1)", file: file, line: line)
            }
        }
    }

    func testSGD() throws { try check(OptimizerConfig(kind: .sgd, lr: 0.1)) }

    func testSGDWithMomentumAndWeightDecay() throws {
        var c = OptimizerConfig(kind: .sgd, lr: 0.1)
        c.momentum = 0.9
        c.weightDecay = 1e-2
        try check(c)
    }

    func testNesterov() throws {
        var c = OptimizerConfig(kind: .sgd, lr: 0.1)
        c.momentum = 0.9
        c.nesterov = true
        try check(c)
    }

    func testAdaGrad() throws { try check(OptimizerConfig(kind: .adagrad, lr: 0.1)) }

    func testRMSProp() throws { try check(OptimizerConfig(kind: .rmsprop, lr: 0.01)) }

    func testRMSPropWithMomentum() throws {
        var c = OptimizerConfig(kind: .rmsprop, lr: 0.01)
        c.momentum = 0.5
        try check(c)
    }

    func testAdam() throws { try check(OptimizerConfig(kind: .adam, lr: 0.001)) }

    func testAdamWithWeightDecay() throws {
        var c = OptimizerConfig(kind: .adam, lr: 0.001)
        c.weightDecay = 0.1
        try check(c)
    }

    func testAdamW() throws { try check(OptimizerConfig(kind: .adamw, lr: 0.001)) }
}
