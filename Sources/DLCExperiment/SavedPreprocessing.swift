import DLCCore
import DLCData
import Foundation

/// The preprocessing a run fitted on its training split, saved as `preprocessing.json` in
/// the run directory so that `dlc eval` and `dlc train --resume` apply the same transform
/// instead of fitting it again.
extension FittedPreprocessing {
    /// The file name in a run directory.
    public static let fileName = "preprocessing.json"

    /// Writes `preprocessing.json` into `run` (atomically).
    public func save(in run: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write([UInt8](try encoder.encode(self)) + [0x0A], to: run + "/" + Self.fileName)
    }

    /// The preprocessing saved in `run`, or nil when the run has no `preprocessing.json`
    /// (runs recorded before it was saved).
    /// - Throws: `DLCError` when the file exists but cannot be read.
    public static func saved(in run: String) throws -> FittedPreprocessing? {
        let path = run + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw DLCError("cannot read '\(path)'") }
        do {
            return try JSONDecoder().decode(FittedPreprocessing.self, from: data)
        } catch {
            throw DLCError("\(path): damaged preprocessing parameters (\(error))")
        }
    }

    /// Applies the fitted steps to the three splits.
    public func apply(_ splits: Splits) throws -> Splits {
        Splits(train: try apply(splits.train, source: "training split"),
               validation: try apply(splits.validation, source: "validation split"),
               test: try apply(splits.test, source: "test split"))
    }
}
