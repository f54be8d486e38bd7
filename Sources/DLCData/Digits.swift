import CDLCData
import DLCCore

/// The UCI optical recognition of handwritten digits data set (Alpaydin & Kaynak, CC BY 4.0;
/// see data/README.md), embedded in the library: 1,797 images of 8×8 pixels with values
/// 0–16 and their labels 0–9. No file is needed at run time.
public enum Digits {
    /// The number of examples.
    public static let count = 1797
    /// The number of classes.
    public static let classes = 10

    /// The embedded bytes: exactly the file data/digits.csv.gz.
    public static var embeddedGzip: [UInt8] {
        Array(UnsafeBufferPointer(start: dlc_digits_csv_gz_ptr(), count: Int(dlc_digits_csv_gz_size)))
    }

    /// Loads the data set: x f32 [1797, 1, 8, 8] scaled to [0, 1] by /16 (or [1797, 1, S, S]
    /// after bilinear `upscale` to S×S), y i32 [1797]. `binarize` thresholds the pixels at 0.5
    /// (after any upscaling), giving 0 or 1.
    public static func load(upscale: Int? = nil, binarize: Bool = false) throws -> Dataset {
        var d = try raw()
        if let s = upscale, s != 8 { d = try Preprocess.upscale(d, size: s) }
        if binarize { d = Preprocess.binarize(d, threshold: 0.5) }
        return d
    }

    /// The data set as parsed from the embedded file, once (a `static let` is initialised
    /// lazily and thread-safely).
    static func raw() throws -> Dataset { try parsed.get() }
    private static let parsed = Result<Dataset, Error> {
        let text = try Zlib.gunzip(embeddedGzip, source: "<embedded digits.csv.gz>")
        return try parse(csv: text, source: "<embedded digits.csv.gz>")
    }

    /// Parses the text of digits.csv (64 pixel values then the label on each line) into a
    /// data set shaped like `load()`'s. Public so that a copy of the file can be checked
    /// against the embedded one.
    public static func parse(csv bytes: [UInt8], source: String) throws -> Dataset {
        var pixels: [Float] = []
        pixels.reserveCapacity(count * 64)
        var labels: [Int32] = []
        var row: [Int] = []
        var value = 0, digits = 0, line = 1
        func endField() throws {
            guard digits > 0 else { throw DataError.at(source, "row \(line), column \(row.count + 1)", "empty cell") }
            row.append(value); value = 0; digits = 0
        }
        func endRow() throws {
            try endField()
            guard row.count == 65 else {
                throw DataError.at(source, "row \(line)", "\(row.count) columns, expected 65 (64 pixels and a label)")
            }
            for (c, p) in row.prefix(64).enumerated() where p > 16 {
                throw DataError.at(source, "row \(line), column \(c + 1)", "pixel value \(p) is out of range 0...16")
            }
            guard row[64] < classes else { throw DataError.at(source, "row \(line), column 65", "label \(row[64]) is out of range 0...9") }
            pixels.append(contentsOf: row.prefix(64).map { Float($0) / 16 })
            labels.append(Int32(row[64]))
            row.removeAll(keepingCapacity: true)
            line += 1
        }
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits < 6 else { throw DataError.at(source, "row \(line), column \(row.count + 1)", "number too long") }
                value = value * 10 + Int(b - UInt8(ascii: "0")); digits += 1
            case UInt8(ascii: ","): try endField()
            case UInt8(ascii: "\n"): try endRow()
            case UInt8(ascii: "\r"): continue
            default:
                throw DataError.at(source, "row \(line), column \(row.count + 1)", "unexpected character '\(Character(Unicode.Scalar(b)))'")
            }
        }
        if digits > 0 || !row.isEmpty { try endRow() }
        let n = labels.count
        return Dataset(unchecked: HostTensor(shape: [n, 1, 8, 8], f32: pixels), y: HostTensor(shape: [n], storage: .i32(labels)))
    }
}
