import DLCCore
import DLCData

/// How a data set feeds a model: its first floating-point input takes the examples' features,
/// its first integer input (if any) the class labels — or, for float targets, its second
/// floating-point input. The prediction output, used for accuracy, is the first output of
/// shape [N, C] — only when the model takes labels: a model fed the features alone (an
/// autoencoder, whose loss compares its output with its own input) has no accuracy.
struct ModelInterface {
    let features: (name: String, type: TensorType)
    let labels: (name: String, type: TensorType)?
    let prediction: String?
    /// The loss reported on evaluation: the model's only (or first) loss.
    let loss: String?

    init(_ graph: Graph) throws {
        let inputs = graph.inputNodes.map { (name: $0.attributes["name"]?.stringValue ?? "?", type: graph[$0.outputs[0]].type) }
        guard let f = inputs.first(where: { $0.type.dtype.isFloat }) else {
            throw DLCError("model '\(graph.name)' has no floating-point input to feed the examples to")
        }
        features = f
        labels = inputs.first { !$0.type.dtype.isFloat && $0.type.dtype != .bool }
            ?? inputs.filter { $0.type.dtype.isFloat }.dropFirst().first
        loss = graph.losses.first?.name
        prediction = labels == nil ? nil : graph.outputs.first { o in
            let t = graph[o.value].type
            return t.rank == 2 && t.shape[1].value != nil
        }?.name
    }

    /// Checks that examples fit the inputs, with a hint when they do not; `source` names the
    /// data in errors, `targetsSource` (default: `source`) the targets'.
    func check(_ d: Dataset, source: String, targetsSource: String? = nil) throws {
        let want = Array(features.type.shape.dropFirst())
        let have = Array(d.x.shape.dropFirst())
        let fits = want.count == have.count && zip(want, have).allSatisfy { $0.value == nil || $0.value == $1 }
        guard fits else {
            var hint = ""
            if have.count == 3, want.count == 3, have[1] == have[2], let size = want[1].value, want[1] == want[2],
               want[0].value == nil || want[0].value == have[0] {
                hint = "; add 'preprocess: [upscale(size: \(size))]' to the train section"
            } else if have.count == 3, want.count == 3, let c = want[0].value, c != have[0] {
                hint = "; the data has \(have[0]) channel\(have[0] == 1 ? "" : "s") and the model expects \(c)"
            } else if want.count == 1, have.count > 1 {
                hint = "; add 'preprocess: [flatten()]' to the train section"
            }
            throw DLCError("\(source) has examples of shape \(have) but input '\(features.name)' is \(features.type)\(hint)")
        }
        if let labels {
            let wantY = Array(labels.type.shape.dropFirst()).map { $0.value ?? -1 }
            let haveY = Array(d.y.shape.dropFirst())
            guard wantY.count == haveY.count, zip(wantY, haveY).allSatisfy({ $0 == -1 || $0 == $1 }) else {
                throw DLCError("\(targetsSource ?? source) has targets of shape \(haveY) but input '\(labels.name)' is \(labels.type)")
            }
        }
    }

    /// The inputs of one batch, converted to the inputs' element types.
    func feed(_ batch: Dataset) throws -> [String: HostTensor] {
        var feed = [features.name: batch.x.converted(to: features.type.dtype)]
        if let labels { feed[labels.name] = batch.y.converted(to: labels.type.dtype) }
        return feed
    }
}
