import ArgumentParser
import DLCCore
import DLCDriver
#if canImport(Glibc)
import Glibc
#endif

/// The `dlc` command line: thin; every subcommand calls into DLCDriver.
@main
struct DLC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlc",
        abstract: "A deep-learning compiler and experiment framework.",
        version: dlcVersion,
        subcommands: [Compile.self, Train.self, Run.self, Render.self, Bench.self, Plugins.self]
    )

    /// Usage errors exit with 2 (not ArgumentParser's 64), help and version with 0.
    static func main() {
        do {
            var command = try parseAsRoot()
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
            if error is ValidationError || code == .validationFailure { Glibc.exit(2) }
            Glibc.exit(code.rawValue == 64 ? 2 : code.rawValue)
        }
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
