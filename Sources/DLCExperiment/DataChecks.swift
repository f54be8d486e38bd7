import DLCCore
import DLCData

/// Checks of a data set against the model it trains, made before training starts. Errors
/// name the file, the example and the cause.
extension ModelInterface {
    /// Class labels fit the model: a model whose label input is an integer takes class
    /// indices (non-negative whole numbers), each below the prediction output's width.
    func checkLabels(_ d: Dataset, graph: Graph, source: String) throws {
        guard let labels, !labels.type.dtype.isFloat else { return }
        if case .f32(let v) = d.y.storage, let i = v.firstIndex(where: { $0 < 0 || $0.rounded() != $0 }) {
            let per = d.y.count / max(d.count, 1)
            throw DLCError("\(source): example \(i / max(per, 1)): label \(HTML.number(Double(v[i]))) is not a class index (a whole number from 0); "
                + "input '\(labels.name)' is \(labels.type)")
        }
        guard let prediction, let output = graph.outputs.first(where: { $0.name == prediction }),
              let classes = graph[output.value].type.shape.last?.value, classes >= 2, case .i32(let y) = d.y.storage else { return }
        if let i = y.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw DLCError("\(source): example \(i): label \(y[i]) is out of range for the \(classes) classes (0...\(classes - 1)) "
                + "of output '\(prediction)'")
        }
    }
}

extension DataSource {
    /// The files holding the features and the labels, as errors name them (relative paths
    /// resolved as `load` resolves them); the embedded digits are "the digits data set".
    func files(relativeTo directory: String?) -> (features: String, labels: String) {
        func resolve(_ p: String) -> String {
            guard let dir = directory, !p.hasPrefix("/"), !dir.isEmpty else { return p }
            return dir.hasSuffix("/") ? dir + p : dir + "/" + p
        }
        switch self {
        case .digits: return ("the digits data set", "the digits data set")
        case .csv(let p, _, _): return (resolve(p), resolve(p))
        case .npy(let x, let y): return (resolve(x), resolve(y))
        case .npz(let p, let x, let y): return ("\(resolve(p)) (array '\(x)')", "\(resolve(p)) (array '\(y)')")
        case .idx(let i, let l): return (resolve(i), resolve(l))
        }
    }
}
