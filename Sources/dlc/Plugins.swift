import ArgumentParser
import DLCCore
import DLCDriver

/// `dlc plugins`: what is installed — plugins with their layers, ops and passes.
struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the installed plugins with their layers, ops and passes.")

    @Flag(help: "Print each layer's and op's signature.")
    var verbose = false

    func run() throws {
        let registry = standardRegistry()
        var out = ""
        for p in registry.plugins {
            out += "\(p.name)\(p.implicit ? "" : " (use \(p.name))") — \(p.summary)\n"
            if let path = p.path { out += "  loaded from: \(path)\n" }
            if !p.layers.isEmpty {
                out += "  layers: " + (verbose ? "\n" + p.layers.sorted().map { "    " + registry.layers[$0]!.signature.render($0) }.joined(separator: "\n")
                                                : p.layers.sorted().joined(separator: ", ")) + "\n"
            }
            if !p.ops.isEmpty {
                out += "  ops: " + (verbose ? "\n" + p.ops.sorted().map { "    " + registry.ops[$0]!.signature.render($0) }.joined(separator: "\n")
                                             : p.ops.sorted().joined(separator: ", ")) + "\n"
            }
            if !p.passes.isEmpty { out += "  passes: " + p.passes.sorted().joined(separator: ", ") + "\n" }
        }
        FileHandle.standardOutput.write(out)
    }
}
