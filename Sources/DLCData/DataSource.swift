/// Where a train section's examples come from: its `data:` setting.
public enum DataSource: Equatable, Sendable {
    /// The embedded digits (`digits(upscale:, binarize:)`).
    case digits(upscale: Int? = nil, binarize: Bool = false)
    /// A CSV file (`csv(path:, label:, header:)`).
    case csv(path: String, label: CSVColumn = .index(-1), header: Bool? = nil)
    /// Two `.npy` files (`npy(x:, y:)`).
    case npy(x: String, y: String)
    /// Two arrays of an `.npz` file (`npz(path:, x:, y:)`).
    case npz(path: String, x: String = "x", y: String = "y")
    /// An MNIST-style IDX pair (`idx(images:, labels:)`).
    case idx(images: String, labels: String)

    /// Loads the examples. Relative paths are resolved against `directory` (the directory
    /// of the `.dlg` file, say) when it is given.
    public func load(relativeTo directory: String? = nil) throws -> Dataset {
        func resolve(_ p: String) -> String {
            guard let dir = directory, !p.hasPrefix("/"), !dir.isEmpty else { return p }
            return dir.hasSuffix("/") ? dir + p : dir + "/" + p
        }
        switch self {
        case .digits(let up, let bin): return try Digits.load(upscale: up, binarize: bin)
        case .csv(let p, let label, let header): return try CSV.load(resolve(p), label: label, header: header)
        case .npy(let x, let y): return try ArrayData.loadNpy(x: resolve(x), y: resolve(y))
        case .npz(let p, let x, let y): return try ArrayData.loadNpz(resolve(p), x: x, y: y)
        case .idx(let i, let l): return try IDX.load(images: resolve(i), labels: resolve(l))
        }
    }
}
