import Foundation

/// Runs the built `dlc` executable, for tests of the command line itself.
public enum DLCProcess {
    /// The `dlc` binary beside the test bundle (`swift build` puts both in one directory).
    public static var binary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("dlc")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("dlc")
    }

    public struct Outcome {
        public var status: Int32
        /// True when the process ended by a signal (a crash).
        public var crashed: Bool
        public var timedOut: Bool
        public var stdout: String
        public var stderr: String
    }

    /// Runs `dlc args…` in the repository root with a time limit.
    public static func run(_ args: [String], timeout: Double = 20) throws -> Outcome {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = Repository.root
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = DataReader(out.fileHandleForReading), errData = DataReader(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while p.isRunning {
            if Date() > deadline { p.terminate(); timedOut = true; break }
            usleep(2000)
        }
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, crashed: p.terminationReason == .uncaughtSignal, timedOut: timedOut,
                       stdout: outData.text(), stderr: errData.text())
    }
}

/// Drains a pipe on a background thread so that a chatty child never blocks.
final class DataReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
