import DLCCore
import DLCDriver
import DLCRender
import XCTest
import _DLCTestSupport

/// Unrolled recurrent layers are drawn with their cell once, not once per time step.
final class RecurrenceDiagramTests: XCTestCase {
    /// The LSTM over 8 rows: one cluster for one time step of 8, one copy of each gate op,
    /// and the hidden and cell states drawn as recurrence edges looping back into the cell.
    func testLSTMCellIsDrawnOnce() throws {
        let g = try graph("models/lstm.dlg")
        XCTAssertEqual(g.nodes(op: "split").count, 8, "the graph itself stays unrolled")
        let d = renderer().diagram(g, title: title(g))
        let steps = d.clusters.filter { $0.label.contains("one time step of 8") }
        XCTAssertEqual(steps.count, 1, d.clusters.map(\.label).description)
        XCTAssertTrue(steps[0].label.contains("lstm cell"), steps[0].label)
        XCTAssertEqual(d.nodes.filter { $0.title == "split" }.count, 1)
        let recurrence = d.edges.filter(\.isRecurrence)
        XCTAssertEqual(recurrence.count, 2, "h feeds the next step's matmul, c the next step's forget gate")
        XCTAssertTrue(recurrence.allSatisfy { $0.label?.hasSuffix("→ next step") == true })
        try assertSVGMatches(d, "lstm")
    }

    /// RNN and GRU: one cell each; the bidirectional LSTM: one cell per direction and layer.
    func testEveryRecurrentModelFoldsItsSteps() throws {
        for (file, cells) in [("models/rnn.dlg", 1), ("models/gru.dlg", 1), ("models/bilstm.dlg", 4)] {
            let g = try graph(file)
            let d = renderer().diagram(g, title: title(g))
            XCTAssertEqual(d.clusters.filter { $0.label.contains("one time step of 8") }.count, cells, file)
            XCTAssertGreaterThanOrEqual(d.edges.filter(\.isRecurrence).count, cells, file)
            try assertSVGMatches(d, file)
        }
    }

    /// In the training step the backward pass's steps fold too: the first and last differ
    /// from the six between them, which are drawn once.
    func testBackwardStepsFold() throws {
        let (_, d) = try stageDOT("models/lstm.dlg", stage: .train)
        XCTAssertTrue(d.nodes.contains { $0.lines.contains("6 of 8 time steps") }
                      || d.clusters.contains { $0.label.contains("6 of 8 time steps") },
                      d.nodes.map(\.title).description)
        try assertSVGMatches(d, "lstm train")
    }
}
