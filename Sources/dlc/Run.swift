import ArgumentParser
import DLCCore
import DLCDriver

/// `dlc run model.dlp --input NAME=FILE.npy … --output DIR`: inference from a plan file.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a .dlp plan file on NumPy inputs and write its outputs as .npy files.",
        discussion: "Exit status: 0 on success, 1 when the plan or an input is wrong, 2 for usage errors.")

    @Argument(help: "The .dlp file (from `dlc compile -o` or `dlc train -o`).")
    var plan: String

    @Option(name: .customLong("input"), help: "An input as NAME=FILE.npy (repeatable).")
    var inputs: [String] = []

    @Option(help: "The directory to write NAME.npy for each output (created if missing).")
    var output: String?

    func validate() throws {
        var names = Set<String>()
        for i in inputs {
            guard i.contains("="), !i.hasPrefix("="), !i.hasSuffix("=") else {
                throw ValidationError("--input takes NAME=FILE.npy, found '\(i)'")
            }
            let name = String(i.prefix { $0 != "=" })
            guard names.insert(name).inserted else { throw ValidationError("input '\(name)' is given twice") }
        }
        try asUsage { try OutputPath.checkReadable(plan) }
    }

    func run() throws {
        let registry = standardRegistry()
        var files: [String: String] = [:]
        for i in inputs {
            let parts = i.split(separator: "=", maxSplits: 1).map(String.init)
            files[parts[0]] = parts[1]
        }
        do {
            let outputs = try PlanExport.run(planPath: plan, inputs: files, registry: registry)
            if let output {
                for path in try PlanExport.writeOutputs(outputs, to: output) { print("wrote \(path)") }
            } else {
                for (name, t) in outputs.sorted(by: { $0.key < $1.key }) { print("\(name): \(t.dtype)\(t.shape)") }
            }
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(1)
        }
    }
}
