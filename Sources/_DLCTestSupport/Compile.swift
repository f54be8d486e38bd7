import DLCCore
import DLCDriver
import Foundation

/// Compiling in tests: one registry with the standard plugins, files read relative to the repository.
public enum TestCompiler {
    public static let registry: Registry = Compiler.standardRegistry()

    /// Compiles source text given inline.
    public static func compile(_ text: String, path: String = "test.dlg", options: CompileOptions = CompileOptions()) -> CompileResult {
        Compiler(registry: registry).compile(SourceFile(path: path, text: text), options: options)
    }

    /// Compiles a file of the repository; diagnostics show its repository-relative path.
    public static func compile(file url: URL, options: CompileOptions = CompileOptions()) throws -> CompileResult {
        let bytes = try [UInt8](Data(contentsOf: url))
        return Compiler(registry: registry).compile(SourceFile(path: Repository.relative(url), bytes: bytes), options: options)
    }

    /// What a golden file records of a compilation: stdout, then diagnostics, then the status.
    public static func transcript(_ r: CompileResult) -> String {
        var s = r.output
        if !r.diagnosticsText.isEmpty { s += (s.isEmpty || s.hasSuffix("\n") ? "" : "\n") + r.diagnosticsText }
        return s + "// exit status \(r.status)\n"
    }
}
