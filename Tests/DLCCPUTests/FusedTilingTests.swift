// dlc_fused's tiles run over the result's flat index: a tile spans several short rows, and
// inputs that are contiguous, per-row, per-column, strided or scalar are each read right where
// a tile starts or ends in the middle of a row.
import CKernels
import XCTest

final class FusedTilingTests: XCTestCase {
    /// y = (a + b) · c − d over `shape`, each input given by its own strides into its values;
    /// the result checked element by element against a direct loop.
    func check(_ shape: [Int], strides: [[Int]], file: StaticString = #filePath, line: UInt = #line) {
        let rank = shape.count, count = shape.reduce(1, *)
        let inputs: [[Float]] = strides.enumerated().map { i, s in
            let span = max(1, zip(shape, s).reduce(1) { $0 + ($1.0 - 1) * $1.1 })
            return (0..<span).map { Float(($0 * 7 + i * 3) % 11) - 5 }
        }
        // Registers: inputs 0-3, no constants, instructions 4 (a + b), 5 (· c), 6 (− d).
        let code: [Int64] = [1, 0, 4, 0, 1, -1, 1, 2, 5, 4, 2, -1, 1, 1, 6, 5, 3, -1]
        let imm = [Double](repeating: 0, count: 6)
        var out = [Float](repeating: .nan, count: count)
        var scratch = [Double](repeating: 0, count: 7 * Int(DLC_FUSED_TILE))
        let flatStrides = strides.flatMap { $0.map(Int64.init) }
        let rc = inputs[0].withUnsafeBytes { a in inputs[1].withUnsafeBytes { b in inputs[2].withUnsafeBytes { c in inputs[3].withUnsafeBytes { d in
            out.withUnsafeMutableBytes { o in scratch.withUnsafeMutableBytes { s -> Int32 in
                let ins: [UnsafeRawPointer?] = [a.baseAddress, b.baseAddress, c.baseAddress, d.baseAddress]
                let outs: [UnsafeMutableRawPointer?] = [o.baseAddress]
                return dlc_fused(0, Int32(rank), shape.map(Int64.init), 4, flatStrides, ins, 0, nil, 3, code, imm, 1, [Int64(6)], outs, s.baseAddress)
            } }
        } } } }
        XCTAssertEqual(rc, 0, file: file, line: line)
        for flat in 0..<count {
            var rest = flat, offsets = [Int](repeating: 0, count: 4)
            for d in (0..<rank).reversed() {
                let i = rest % shape[d]
                rest /= shape[d]
                for k in 0..<4 { offsets[k] += i * strides[k][d] }
            }
            let v = (0..<4).map { inputs[$0][offsets[$0]] }
            XCTAssertEqual(out[flat], (v[0] + v[1]) * v[2] - v[3], "element \(flat) of \(shape)", file: file, line: line)
            if out[flat] != (v[0] + v[1]) * v[2] - v[3] { return }
        }
    }

    func testShortRowsWithPerRowPerColumnAndScalarInputs() {
        // [40, 3, 7]: 840 elements, tiles of 256 start mid-row; b per row, c per column, d scalar.
        check([40, 3, 7], strides: [[21, 7, 1], [3, 1, 0], [0, 0, 1], [0, 0, 0]])
    }

    func testStridedAndTransposedInputs() {
        // a read transposed (strides of a [7, 3, 40] array), b strided by 2 in its last dimension.
        check([40, 3, 7], strides: [[1, 40, 120], [42, 14, 2], [21, 7, 1], [0, 1, 0]])
    }

    func testRowsLongerThanATileAndSizeOneDimensions() {
        check([3, 1, 600], strides: [[600, 600, 1], [1, 0, 0], [0, 5, 1], [600, 0, 1]])
        check([1, 1, 1], strides: [[0, 0, 0], [1, 1, 1], [0, 0, 0], [5, 5, 5]])
        check([2, 0, 5], strides: [[0, 5, 1], [0, 5, 1], [0, 5, 1], [0, 5, 1]])
    }
}
