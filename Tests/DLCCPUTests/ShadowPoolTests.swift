// The shadow pool (ShadowPool.swift): freed blocks are reused first-fit and merged with their
// free neighbours; a request larger than a slab gets a slab of its own; a deep residual
// training step binds its kept values into far less memory than their sum.
@testable import DLCCPU
import DLCCore
import DLCPasses
import DLCTraining
import XCTest

final class ShadowPoolTests: XCTestCase {
    func testFreedBlocksAreReusedAndMerged() {
        let pool = ShadowPool(slabBytes: 1024)
        let (a, ba) = pool.allocate(100)  // rounded up to 128
        let (b, bb) = pool.allocate(256)
        let (c, bc) = pool.allocate(64)
        XCTAssertEqual(b - a, 128)
        XCTAssertEqual(c - b, 256)
        XCTAssertEqual(pool.mappedBytes, 1024)
        XCTAssertEqual(pool.bytesInUse, 448)
        pool.release(ba)
        pool.release(bb)
        // a and b merged: 384 bytes at a's address.
        let (d, _) = pool.allocate(384)
        XCTAssertEqual(d, a)
        pool.release(bc)
        let (e, _) = pool.allocate(64)
        XCTAssertEqual(e, c)
        // Larger than a slab: a slab of its own.
        let (f, bf) = pool.allocate(4096)
        XCTAssertEqual(pool.mappedBytes, 1024 + 4096)
        f.storeBytes(of: 1, toByteOffset: 4095, as: UInt8.self)
        pool.release(bf)
        let (g, _) = pool.allocate(2048)
        XCTAssertEqual(g, f)
        XCTAssertEqual(pool.mappedBytes, 1024 + 4096)
        XCTAssertEqual(pool.peakBytesInUse, 384 + 64 + 4096)
    }

    /// The kept values of digits_resnet's training step at batch 32 need far less memory than
    /// all of them at once (the reuse gives the plain plan's numbers: FusionParityTests, every model).
    func testKeptValuesShareMemoryOnceDead() throws {
        let g = try CPUTest.model("models/digits_resnet.dlg")
        _ = try TrainingGraph.build(g, options: TrainingOptions(optimizer: OptimizerConfig(kind: .adam, lr: 0.001)),
                                    registry: CPUTest.registry)
        try Pipelines.prepareForExecution(g, registry: CPUTest.registry, disabled: [], inference: false)
        let e = try Executor(plan: try ExecutionPlan.build(g, bindings: ["N": 32], registry: CPUTest.registry, training: true))
        let keptBytes = e.keptLayouts.values.reduce(0) { $0 + $1.elements * 4 }
        XCTAssertGreaterThan(e.keptLayouts.count, 20)
        XCTAssertLessThan(e.shadowBytes, keptBytes / 2, "at most \(e.shadowBytes) bytes in use for \(keptBytes) bytes of kept values")
    }
}
