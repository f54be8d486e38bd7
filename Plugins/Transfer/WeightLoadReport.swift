import DLCCore

/// What loading a weights file into a model found, tensor by tensor: every match, every
/// model parameter the file lacks, every file tensor the model lacks, and every tensor whose
/// shape (or kind of element) does not fit — all of them, never stopping at the first.
public struct WeightLoadReport {
    /// A model parameter: its name, shape and element type.
    public struct Parameter {
        public var name: String
        public var shape: [Int]
        public var dtype: DType
        public init(name: String, shape: [Int], dtype: DType) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
        }
    }

    public struct Matched { public var parameter: String; public var fileName: String; public var shape: [Int] }
    public struct Missing { public var parameter: String; public var shape: [Int] }
    public struct Unexpected { public var fileName: String; public var mapped: String; public var shape: [Int] }
    public struct Mismatched { public var parameter: String; public var fileName: String; public var found: String; public var expected: String }
    /// Several file tensors mapped to one parameter name (none of them is loaded).
    public struct Collision { public var parameter: String; public var fileNames: [String] }

    public var source: String
    public var kind: String
    public var fileTensorCount: Int
    public var matched: [Matched] = []
    public var missing: [Missing] = []
    public var unexpected: [Unexpected] = []
    public var mismatched: [Mismatched] = []
    public var collisions: [Collision] = []
    /// The matched tensors, converted to their parameter's element type, by parameter name.
    public var loaded: [String: HostTensor] = [:]

    /// Matches the (already mapped) tensors of a file against a model's parameters.
    public init(file: WeightFile, mapping: NameMapping, parameters: [Parameter]) {
        source = file.path
        kind = file.kind
        fileTensorCount = file.tensors.count
        var byTarget: [String: [String]] = [:]
        for name in file.tensors.keys.sorted() { byTarget[mapping.map(name), default: []].append(name) }
        let params = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in parameters.sorted(by: { $0.name < $1.name }) {
            guard let names = byTarget[p.name] else {
                missing.append(Missing(parameter: p.name, shape: p.shape))
                continue
            }
            guard names.count == 1 else {
                collisions.append(Collision(parameter: p.name, fileNames: names))
                continue
            }
            let t = file.tensors[names[0]]!
            let convertible = t.dtype == p.dtype || (t.dtype.isFloat && p.dtype.isFloat)
            if t.shape != p.shape || !convertible {
                mismatched.append(Mismatched(parameter: p.name, fileName: names[0], found: "\(t.dtype)\(t.shape)",
                                             expected: "\(p.dtype)\(p.shape)"))
                continue
            }
            matched.append(Matched(parameter: p.name, fileName: names[0], shape: p.shape))
            loaded[p.name] = t.dtype == p.dtype ? t : t.converted(to: p.dtype)
        }
        for (target, names) in byTarget.sorted(by: { $0.key < $1.key }) where params[target] == nil {
            for n in names { unexpected.append(Unexpected(fileName: n, mapped: target, shape: file.tensors[n]!.shape)) }
        }
    }

    /// Missing, unexpected, mismatched and colliding tensors: what strict mode refuses.
    public var problemCount: Int { missing.count + unexpected.count + mismatched.count + collisions.count }

    /// The report, one line per tensor under a heading per kind.
    public func render() -> String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        func from(_ file: String, _ name: String) -> String { file == name ? "" : " (from \(file))" }
        let total = matched.count + missing.count + mismatched.count + collisions.count
        var lines = ["init: loaded \(matched.count) of \(total) parameters from \(source) (\(kind), \(fileTensorCount) tensors)"]
        if !matched.isEmpty {
            lines.append("  matched (\(matched.count)):")
            lines += matched.map { "    \($0.parameter) \(shape($0.shape))\(from($0.fileName, $0.parameter))" }
        }
        if !missing.isEmpty {
            lines.append("  missing from the file (\(missing.count), initialized fresh):")
            lines += missing.map { "    \($0.parameter) \(shape($0.shape))" }
        }
        if !unexpected.isEmpty {
            lines.append("  unexpected, not in the model (\(unexpected.count), not used):")
            lines += unexpected.map { "    \($0.fileName) \(shape($0.shape))" + ($0.mapped == $0.fileName ? "" : " (mapped to \($0.mapped))") }
        }
        if !mismatched.isEmpty {
            lines.append("  shape mismatch (\(mismatched.count), not loaded):")
            lines += mismatched.map { "    \($0.parameter): the file has \($0.found)\(from($0.fileName, $0.parameter)), the model \($0.expected)" }
        }
        if !collisions.isEmpty {
            lines.append("  several file tensors map to one name (\(collisions.count), not loaded):")
            lines += collisions.map { "    \($0.parameter) ← " + $0.fileNames.joined(separator: ", ") }
        }
        return lines.joined(separator: "\n")
    }
}
