import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started for a test or demo, with its stdout and stderr captured.
///
/// Output is read from pipes by two background threads, so the child never blocks on a full
/// pipe. The process is stopped by its pid only (never by name); `deinit` stops it if it still runs.
public final class ManagedProcess: @unchecked Sendable {
    // Safe: `process` is configured once in init; the mutable capture/exit state lives behind `lock`.
    private let process = Process()
    private let lock = NSCondition()
    private var stdoutData = Data()
    private var stderrData = Data()
    private var readersFinished = 0

    /// The executable that was started.
    public let executable: String
    /// The arguments it was started with.
    public let arguments: [String]
    /// The child's process id.
    public let pid: Int32

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`. `environment`
    /// entries are added to (and override) the current environment.
    public init(executable: String, arguments: [String] = [], environment: [String: String] = [:],
                currentDirectory: String? = nil) throws {
        let path = try ManagedProcess.resolve(executable)
        self.executable = path
        self.arguments = arguments
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let stdoutPipe = Pipe(), stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        pid = process.processIdentifier
        startReader(stdoutPipe.fileHandleForReading, isStdout: true)
        startReader(stderrPipe.fileHandleForReading, isStdout: false)
    }

    deinit {
        if isRunning { terminate(timeout: .seconds(5)) }
    }

    /// Finds `name` in `PATH` (or returns it if it contains a slash and is executable).
    public static func resolve(_ name: String, extraDirectories: [String] = []) throws -> String {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw LaunchError.notFound(name) }
            return name
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + extraDirectories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw LaunchError.notFound(name)
    }

    /// Launch failures.
    public enum LaunchError: Error, CustomStringConvertible {
        /// No executable with that name or path.
        case notFound(String)
        public var description: String {
            switch self { case .notFound(let name): "executable not found: \(name)" }
        }
    }

    private func startReader(_ handle: FileHandle, isStdout: Bool) {
        let thread = Thread { [weak self] in
            while true {
                let chunk = handle.availableData
                guard let self else { break }
                self.lock.lock()
                if chunk.isEmpty {
                    self.readersFinished += 1
                } else if isStdout {
                    self.stdoutData.append(chunk)
                } else {
                    self.stderrData.append(chunk)
                }
                self.lock.broadcast()
                self.lock.unlock()
                if chunk.isEmpty { break }
            }
            try? handle.close()
        }
        thread.name = "ManagedProcess \(pid) \(isStdout ? "stdout" : "stderr")"
        thread.start()
    }

    // MARK: State

    /// `true` while the child has not exited (and has not been reaped).
    public var isRunning: Bool { process.isRunning }

    /// The exit code once exited: the status for a normal exit, `128 + signal` if a signal ended it.
    public var exitCode: Int32? {
        guard !process.isRunning else { return nil }
        switch process.terminationReason {
        case .exit: return process.terminationStatus
        case .uncaughtSignal: return 128 + process.terminationStatus
        @unknown default: return process.terminationStatus
        }
    }

    /// The signal that ended the child, if one did.
    public var terminationSignal: Int32? {
        guard !process.isRunning, process.terminationReason == .uncaughtSignal else { return nil }
        return process.terminationStatus
    }

    // MARK: Output

    /// Everything written to stdout so far.
    public var stdoutText: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stdoutData, as: UTF8.self) }
    /// Everything written to stderr so far.
    public var stderrText: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stderrData, as: UTF8.self) }
    /// Complete stdout lines so far (a trailing partial line is left out).
    public var stdoutLines: [String] { ManagedProcess.completeLines(stdoutText) }
    /// Complete stderr lines so far.
    public var stderrLines: [String] { ManagedProcess.completeLines(stderrText) }

    static func completeLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // the part after the last newline is incomplete (or empty)
        return lines
    }

    /// Waits until stdout or stderr contains `text`. Returns `false` on timeout, or as soon as the
    /// process has exited and both streams are drained without it.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: Duration) -> Bool {
        let deadline = Deadline(timeout: timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if String(decoding: stdoutData, as: UTF8.self).contains(text)
                || String(decoding: stderrData, as: UTF8.self).contains(text) { return true }
            if readersFinished == 2 || deadline.hasPassed { return false }
            _ = lock.wait(until: Date().addingTimeInterval(min(0.05, seconds(deadline.remaining))))
        }
    }

    // MARK: Stopping

    /// Waits up to `timeout` for the child to exit; returns ``exitCode`` or `nil` if still running.
    @discardableResult
    public func waitForExit(timeout: Duration) -> Int32? {
        waitUntil(timeout: timeout, pollInterval: .milliseconds(10)) { !process.isRunning }
        return exitCode
    }

    /// Sends `signal` to the child's pid (e.g. `SIGKILL` for crash tests). Does nothing once it exited.
    public func kill(signal: Int32) {
        guard process.isRunning else { return }
        #if canImport(Glibc)
        _ = Glibc.kill(pid, signal)
        #elseif canImport(Musl)
        _ = Musl.kill(pid, signal)
        #else
        _ = Darwin.kill(pid, signal)
        #endif
    }

    /// Stops the child: SIGTERM, wait up to `timeout`, then SIGKILL and wait again.
    /// Returns the exit code (`nil` only if even SIGKILL did not end it within 5 s).
    @discardableResult
    public func terminate(timeout: Duration = .seconds(5)) -> Int32? {
        kill(signal: SIGTERM)
        if let code = waitForExit(timeout: timeout) { return code }
        kill(signal: SIGKILL)
        return waitForExit(timeout: .seconds(5))
    }
}
