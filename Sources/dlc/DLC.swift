import ArgumentParser
import DLCCore
import DLCDriver
import DLCExperiment
import DLCPluginLoader
#if canImport(Glibc)
import Glibc
#endif

/// The `dlc` command line: thin; every subcommand calls into DLCDriver.
@main
struct DLC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlc",
        abstract: "A deep-learning compiler and experiment framework.",
        discussion: """
            Global option: --plugin <path>  Load a plugin library (a .so built against DLCCore) before \
            running the subcommand; repeatable. DLC_PLUGIN_PATH adds a colon-separated list of \
            libraries or directories of lib*.so files. See docs/plugins.md.
            """,
        version: dlcVersion,
        subcommands: [Compile.self, Train.self, Sweep.self, Eval.self, Runs.self, Report.self, Run.self, Tokenize.self, Render.self, Bench.self, Plugins.self]
    )

    /// Usage errors exit with 2 (not ArgumentParser's 64), help and version with 0.
    static func main() {
        preferBoundedOpenMPSpinning()
        do {
            let (plugins, arguments) = try pluginOptions(Array(CommandLine.arguments.dropFirst()))
            pluginArguments = plugins
            do {
                Compiler.installStandardPlugins(into: Registry.shared)
                try PluginLoader.loadAll(plugins, into: Registry.shared)
            } catch let e as PluginLoadError {
                FileHandle.standardError.write("error: \(e.description)\n")
                Glibc.exit(2)
            }
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            if let status = error as? ExitCode {
                Glibc.exit(status.rawValue)
            }
            FileHandle.standardError.write(fullMessage(for: error) + "\n")
            if error is ValidationError || error is UsageError || code == .validationFailure { Glibc.exit(2) }
            Glibc.exit(code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// Takes the global `--plugin PATH` / `--plugin=PATH` options out of the arguments (they may
/// come before or after the subcommand, not after `--`).
func pluginOptions(_ args: [String]) throws -> (plugins: [String], rest: [String]) {
    var plugins: [String] = [], rest: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "--" { rest += args[i...]; break }
        if a == "--plugin" {
            guard i + 1 < args.count else { throw ValidationError("--plugin needs the path of a plugin library") }
            plugins.append(args[i + 1])
            i += 2
            continue
        }
        if a.hasPrefix("--plugin=") {
            plugins.append(String(a.dropFirst("--plugin=".count)))
        } else {
            rest.append(a)
        }
        i += 1
    }
    return (plugins, rest)
}

/// oneDNN runs on OpenMP (libgomp), whose idle threads spin before they sleep. Spinning
/// without bound (OMP_WAIT_POLICY=ACTIVE) is fastest on an idle machine but collapses when
/// other processes want the cores (a 0.7 ms training step took 46 ms under two busy loops);
/// sleeping at once (PASSIVE) is robust but costs a wake-up per kernel (LeNet-5 inference at
/// batch 1: 0.33 ms instead of 0.03). A bounded spin of 100,000 iterations keeps both: 0.041 ms
/// idle, 0.063 ms under load (measured here; see docs/performance.md). libgomp reads its
/// environment when it is loaded, before `main`, so `dlc` re-executes itself once with
/// `GOMP_SPINCOUNT` set — unless the user set it or `OMP_WAIT_POLICY`.
func preferBoundedOpenMPSpinning() {
    guard getenv("OMP_WAIT_POLICY") == nil, getenv("GOMP_SPINCOUNT") == nil else { return }
    setenv("GOMP_SPINCOUNT", "100000", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: go on with libgomp's defaults.
}

/// The `--plugin` libraries given on the command line (a sweep passes them on to its trials).
nonisolated(unsafe) var pluginArguments: [String] = []

/// The process-wide registry with the standard plugins installed (plugins given with
/// `--plugin` were loaded into it before the subcommand runs).
func standardRegistry() -> Registry {
    Compiler.installStandardPlugins(into: Registry.shared)
    return Registry.shared
}

/// Reads a source file; a missing or unreadable file is a usage error (exit status 2).
func loadSource(_ path: String) throws -> SourceFile {
    do {
        return try SourceLoader.load(path: path)
    } catch let e as DLCError {
        FileHandle.standardError.write("error: \(e.message)\n")
        throw ExitCode(2)
    }
}

/// Runs a check whose `UsageError` is a usage error of the command line (exit status 2).
func asUsage(_ check: () throws -> Void) throws {
    do { try check() } catch let e as UsageError { throw ValidationError(e.message) }
}

/// Runs a command's work; a file with errors (its diagnostics) or any other `DLCError`
/// (`error: …`) goes to standard error and ends the command with exit status 1.
func exitingOnErrors(_ work: () throws -> Void) throws {
    do {
        try work()
    } catch let e as CompileFailure {
        FileHandle.standardError.write(e.text)
        throw ExitCode(1)
    } catch let e as DLCError {
        FileHandle.standardError.write("error: \(e.message)\n")
        throw ExitCode(1)
    }
}

/// The version printed by `dlc --version`.
let dlcVersion = "0.1.0"

/// Writes to stderr without Foundation.
enum FileHandle {
    struct Stream {
        let fd: Int32
        func write(_ s: String) {
            var s = s
            s.withUTF8 { buf in _ = Glibc.write(fd, buf.baseAddress, buf.count) }
        }
    }
    static let standardError = Stream(fd: 2)
    static let standardOutput = Stream(fd: 1)
}

/// Whether to colour diagnostics.
enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    var enabled: Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto: isatty(2) != 0 && getenv("NO_COLOR") == nil
        }
    }
}
