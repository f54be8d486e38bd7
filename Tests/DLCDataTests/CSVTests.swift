import DLCCore
@testable import DLCData
import XCTest

final class CSVTests: DataTestCase {
    func testHeaderLabelByNameAndIndex() throws {
        let p = try write("iris.csv", "sepal,petal,species\n5.1, 1.4 ,setosa\r\n6.3,4.9,virginica\n\n5.8,\"4.0\",versicolor\n")
        let r = try CSV.read(p, label: .name("species"))
        XCTAssertEqual(r.dataset.x, HostTensor(shape: [3, 2], f32: [5.1, 1.4, 6.3, 4.9, 5.8, 4.0]))
        XCTAssertEqual(r.dataset.y, HostTensor(shape: [3], storage: .i32([0, 2, 1])))
        XCTAssertEqual(r.classNames, ["setosa", "versicolor", "virginica"])
        XCTAssertEqual(r.featureNames, ["sepal", "petal"])
        XCTAssertEqual(try CSV.load(p, label: .index(2)), r.dataset)
    }

    func testNoHeaderIntegerLabelsFirstColumn() throws {
        let p = try write("a.csv", "1,0.5,2\n0,1.5,3\n")
        let d = try CSV.load(p, label: .index(0))
        XCTAssertEqual(d.x, HostTensor(shape: [2, 2], f32: [0.5, 2, 1.5, 3]))
        XCTAssertEqual(d.y, HostTensor(shape: [2], storage: .i32([1, 0])))
        let r = try CSV.read(p, header: false)
        XCTAssertEqual(r.featureNames, ["column 1", "column 2"])
        XCTAssertEqual(r.dataset.y.dtype, .i32)
    }

    func testRealValuedTargets() throws {
        let p = try write("r.csv", "x,y\n1,0.5\n2,-1\n")
        XCTAssertEqual(try CSV.load(p).y, HostTensor(shape: [2], f32: [0.5, -1]))
    }

    func testErrors() throws {
        let empty = try write("empty.csv", "")
        assertDataError("\(empty): empty CSV file") { try CSV.load(empty) }
        let blank = try write("blank.csv", "\n\n")
        assertDataError("\(blank): empty CSV file") { try CSV.load(blank) }
        let onlyHeader = try write("h.csv", "a,b\n")
        assertDataError("\(onlyHeader): no data rows after the header") { try CSV.load(onlyHeader) }
        let ragged = try write("ragged.csv", "a,b,c\n1,2,3\n4,5\n")
        assertDataError("\(ragged): row 3: 2 columns, expected 3 as in row 1") { try CSV.load(ragged) }
        let text = try write("text.csv", "a,b,c\n1,2,3\n\n4,five,6\n")
        assertDataError("\(text): row 4, column 2 ('b'): not a number: 'five'") { try CSV.load(text) }
        let nan = try write("nan.csv", "1,2,0\n3,NaN,1\n")
        assertDataError("\(nan): row 2, column 2: NaN in the features") { try CSV.load(nan) }
        let inf = try write("inf.csv", "1,2,0\n3,1e39,1\n")
        assertDataError("\(inf): row 2, column 2: infinite value '1e39' in the features") { try CSV.load(inf) }
        let hole = try write("hole.csv", "1,,0\n")
        assertDataError("\(hole): row 1, column 2: empty cell") { try CSV.load(hole) }
        let nanLabel = try write("nl.csv", "1,2,0\n3,4,nan\n")
        assertDataError("\(nanLabel): row 2, column 3: NaN label") { try CSV.load(nanLabel) }
        let p = try write("ok.csv", "a,b\n1,2\n")
        assertDataError("\(p): no column named 'z' (columns: 'a', 'b')") { try CSV.load(p, label: .name("z")) }
        assertDataError("\(p): label column 5 is out of range for 2 columns") { try CSV.load(p, label: .index(5)) }
        let nh = try write("nh.csv", "1,2\n")
        assertDataError("\(nh): label column 'a' is given by name, but the file has no header row") { try CSV.load(nh, label: .name("a")) }
        let q = try write("q.csv", "1,\"2\n")
        assertDataError("\(q): row 1: unterminated quoted cell") { try CSV.load(q) }
        assertDataError("\(path("missing.csv")): cannot open: no such file") { try CSV.load(path("missing.csv")) }
    }
}
