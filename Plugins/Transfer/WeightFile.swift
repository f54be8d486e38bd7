import DLCCore
import DLCData
import Foundation

/// A set of named tensors read from a weights file, and what kind of file it was.
public struct WeightFile {
    /// The tensors by name, as stored (F16/BF16 already widened to f32).
    public var tensors: [String: HostTensor]
    /// What was read: "safetensors", "dlc checkpoint", "npz", "run directory".
    public var kind: String
    /// The file actually read (inside a run directory: its weights file).
    public var path: String

    public init(tensors: [String: HostTensor], kind: String, path: String) {
        self.tensors = tensors
        self.kind = kind
        self.path = path
    }

    /// Reads weights from `path`: a `.safetensors` file (a dlc checkpoint is one too: its
    /// optimizer state and step counter are left out), an `.npz` file, or a run directory of
    /// `dlc train` (its `weights.safetensors`, else its newest checkpoint).
    /// - Throws: `DLCError` naming the path for a missing, unknown or malformed file.
    public static func read(_ path: String) throws -> WeightFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DLCError("\(path): no such file or directory")
        }
        if isDirectory.boolValue { return try readRun(path) }
        if path.hasSuffix(".npz") {
            let arrays = try Npz.read(path)
            return WeightFile(tensors: arrays.mapValues(\.tensor), kind: "npz", path: path)
        }
        if path.hasSuffix(".safetensors") || path.hasSuffix(".st") {
            let (tensors, metadata) = try Safetensors.read(path)
            if metadata[checkpointKey] != nil {
                return WeightFile(tensors: tensors.filter { !isTrainingState($0.key) }, kind: "dlc checkpoint", path: path)
            }
            return WeightFile(tensors: tensors, kind: "safetensors", path: path)
        }
        throw DLCError("\(path): unknown weights format; use a .safetensors file (a dlc checkpoint too), an .npz file or a run directory of dlc train")
    }

    /// The metadata entry that marks a dlc checkpoint (`Checkpoint` in DLCExperiment).
    static let checkpointKey = "dlc_checkpoint"

    /// State of the training step that is not a model parameter: the step counter and the
    /// optimizer's moments (`optimizer.<state>.<param>`).
    static func isTrainingState(_ name: String) -> Bool {
        name == "train.step" || name.hasPrefix("optimizer.")
    }

    static func readRun(_ dir: String) throws -> WeightFile {
        let weights = dir + "/weights.safetensors"
        if FileManager.default.fileExists(atPath: weights) {
            let w = try read(weights)
            return WeightFile(tensors: w.tensors, kind: "run directory", path: weights)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints")) ?? [])
            .filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.sorted()
        guard let newest = names.last else {
            throw DLCError("\(dir): a directory without weights.safetensors or checkpoints/step-N.safetensors; give a weights file or a run directory of dlc train")
        }
        let w = try read(dir + "/checkpoints/" + newest)
        return WeightFile(tensors: w.tensors, kind: "run directory", path: dir + "/checkpoints/" + newest)
    }
}
