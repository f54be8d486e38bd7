import DLCCore
@testable import DLCExperiment
import XCTest

/// How a diverging run names the first non-finite value.
final class NonFiniteTests: XCTestCase {
    func testTheFirstNonFiniteElementWithItsIndex() {
        let t = HostTensor(shape: [2, 3], f32: [1, 2, 3, 4, -.infinity, .nan])
        let first = NonFinite.first(t)
        XCTAssertEqual(first?.index, [1, 1])
        XCTAssertEqual(first?.value, -.infinity)
        XCTAssertNil(NonFinite.first(HostTensor(shape: [2], f32: [1, 2])))
        XCTAssertEqual(NonFinite.first(HostTensor(shape: [], f32: [.nan]))?.index, [])
        XCTAssertEqual(NonFinite.describe(-Double.nan), "nan")
        XCTAssertEqual(NonFinite.describe(-.infinity), "-inf")
    }

    func testTheMessageNamesTheOutputThenTheStateInOrder() {
        let state = ["b": HostTensor(shape: [2], f32: [.nan, 0]), "a": HostTensor(shape: [1], f32: [1]),
                     "c": HostTensor(shape: [1], f32: [.infinity])]
        let outputs = ["logits": HostTensor(shape: [1, 2], f32: [0, .infinity])]
        XCTAssertEqual(NonFinite.lossMessage(loss: .nan, epoch: 2, batch: 3, step: 40, outputs: outputs, outputOrder: ["logits"],
                                             state: state, stateOrder: ["a", "b", "c"]),
                       "the loss became nan at epoch 2, step 3 (step 40 of the run); the first non-finite value: output 'logits' at [0, 1] = inf; after the update, 'b' at [0] = nan")
        XCTAssertEqual(NonFinite.lossMessage(loss: .infinity, epoch: 1, batch: 1, step: 1, outputs: [:], outputOrder: [],
                                             state: ["a": HostTensor(shape: [1], f32: [1])], stateOrder: ["a"]),
                       "the loss became inf at epoch 1, step 1 (step 1 of the run); the first non-finite value: the loss itself (the model's outputs are finite)")
    }
}
