import DLCCore
import DLCData
import Foundation

/// Where a run is, saved with its state so that a resumed run continues exactly: the
/// training graph's whole state (parameters, optimizer moments, batch-norm statistics,
/// `train.step`), the position (the epoch in progress and the batches of it done), each
/// executor's position in its random stream, the epoch's running sums, the epochs logged
/// so far and the early-stopping bookkeeping. One safetensors file: the tensors, and the
/// rest as JSON in the `dlc_checkpoint` metadata entry. Written atomically.
public struct Checkpoint {
    public struct Position: Codable, Equatable {
        /// The epoch in progress (1-based); `batch` batches of it are done.
        public var epoch = 1
        public var batch = 0
        /// Steps done in the whole run.
        public var step = 0
        /// Runs of each batch size's executor (their random-stream positions), by batch size.
        public var runCounts: [String: UInt64] = [:]
        /// The epoch's running sums: loss × examples, correct predictions, examples.
        public var lossSum = 0.0
        public var correct = 0
        public var seen = 0
        /// Examples seen in earlier epochs, and wall time of the run so far.
        public var seenBefore = 0
        public var seconds = 0.0
        public var records: [EpochRecord] = []
        /// Early stopping: the best monitored value, its epoch, epochs since.
        public var best: Double?
        public var bestEpoch = 0
        public var sinceBest = 0
        /// Set when the run ended (finished, or stopped early).
        public var finished = false
        /// In a section with steps: each step's loss × examples this epoch, by step name
        /// (optional, so checkpoints of earlier versions still decode).
        public var stepLossSums: [String: Double]?

        /// The start of a run.
        public init() {}
    }

    public var state: [String: HostTensor]
    public var position: Position

    public init(state: [String: HostTensor], position: Position) {
        self.state = state
        self.position = position
    }

    static let key = "dlc_checkpoint"

    public func encode() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try encoder.encode(position), as: UTF8.self)
        return try Safetensors.encode(state, metadata: [Self.key: json])
    }

    public static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        let (tensors, metadata) = try Safetensors.decode(bytes, source: source)
        guard let json = metadata[key] else { throw DLCError("\(source): not a dlc checkpoint (no '\(key)' metadata)") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return Checkpoint(state: tensors, position: try decoder.decode(Position.self, from: Data(json.utf8)))
        } catch {
            throw DLCError("\(source): a damaged checkpoint: \(error)")
        }
    }

    public static func read(_ path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else { throw DLCError("cannot read '\(path)'") }
        return try decode([UInt8](data), source: path)
    }

    /// The checkpoint files of a run directory (`checkpoints/step-N.safetensors`), newest first.
    public static func files(in run: String) -> [String] {
        let dir = run + "/checkpoints"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let steps = names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix("step-"), n.hasSuffix(".safetensors"),
                  let s = Int(n.dropFirst(5).dropLast(".safetensors".count)) else { return nil }
            return (s, dir + "/" + n)
        }
        return steps.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// The newest checkpoint of a run directory that loads.
    /// - Throws: `DLCError` when there is none.
    public static func latest(in run: String) throws -> (path: String, checkpoint: Checkpoint) {
        var errors: [String] = []
        for f in files(in: run) {
            do { return (f, try read(f)) } catch let e as DLCError { errors.append(e.message) }
        }
        throw DLCError("\(run) has no checkpoint to resume from" + (errors.isEmpty ? "" : " (" + errors.joined(separator: "; ") + ")"))
    }
}
