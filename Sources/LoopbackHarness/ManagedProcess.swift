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
/// The child is started with `posix_spawn` with an empty signal mask and default signal
/// handlers (threads of a test runner often block SIGTERM, and a child would inherit that), with
/// stdin on `/dev/null` and no other inherited file descriptors. Output is read from pipes by two
/// background threads, so the child never blocks on a full pipe; a third thread reaps it. The
/// process is stopped by its pid only (never by name); `deinit` stops it if it still runs.
public final class ManagedProcess: @unchecked Sendable {
    // Safe: all fields are immutable; the mutable capture/exit state is inside `state`, behind its lock.
    private let state = CaptureState()

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
        let fullEnvironment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let spawned = try Spawner.spawn(path: path, arguments: arguments,
                                        environment: fullEnvironment.map { "\($0.key)=\($0.value)" },
                                        currentDirectory: currentDirectory)
        pid = spawned.pid
        let state = self.state
        let name = "ManagedProcess \(spawned.pid)"
        Self.startThread("\(name) stdout") { state.drain(spawned.stdout, isStdout: true) }
        Self.startThread("\(name) stderr") { state.drain(spawned.stderr, isStdout: false) }
        Self.startThread("\(name) reaper") { state.reap(spawned.pid) }
    }

    deinit {
        if isRunning { terminate(timeout: .seconds(5)) }
    }

    private static func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Finds `name` in `PATH` plus `extraDirectories` (or returns it if it contains a slash and is executable).
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
        /// A system call failed while starting the process.
        case systemCall(String, Int32)
        public var description: String {
            switch self {
            case .notFound(let name): "executable not found: \(name)"
            case .systemCall(let call, let code): "\(call) failed: \(String(cString: strerror(code))) (\(code))"
            }
        }
    }

    // MARK: State

    /// `true` until the child has exited and been reaped.
    public var isRunning: Bool { state.waitStatus == nil }

    /// The exit code once exited: the status for a normal exit, `128 + signal` if a signal ended it.
    public var exitCode: Int32? {
        guard let status = state.waitStatus else { return nil }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// The signal that ended the child, if one did.
    public var terminationSignal: Int32? {
        guard let status = state.waitStatus, status & 0x7F != 0 else { return nil }
        return status & 0x7F
    }

    // MARK: Output

    /// Everything written to stdout so far.
    public var stdoutText: String { state.text(stdout: true) }
    /// Everything written to stderr so far.
    public var stderrText: String { state.text(stdout: false) }
    /// Complete stdout lines so far (a trailing partial line is left out).
    public var stdoutLines: [String] { ManagedProcess.completeLines(stdoutText) }
    /// Complete stderr lines so far.
    public var stderrLines: [String] { ManagedProcess.completeLines(stderrText) }

    static func completeLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // the part after the last newline is incomplete (or empty)
        return lines
    }

    /// Waits until stdout or stderr contains `text`. Returns `false` on timeout, or as soon as both
    /// streams reached end-of-file without it. Note that C programs block-buffer stdout on a pipe.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: Duration) -> Bool {
        state.wait(timeout: timeout) { captured in
            if String(decoding: captured.stdout, as: UTF8.self).contains(text)
                || String(decoding: captured.stderr, as: UTF8.self).contains(text) { return true }
            return captured.readersFinished == 2 ? false : nil
        } ?? false
    }

    // MARK: Stopping

    /// Waits up to `timeout` for the child to exit; returns ``exitCode`` or `nil` if still running. After
    /// the exit it also waits (up to a second) for the output readers to reach the end of both pipes, so
    /// that ``stdoutText`` and ``stderrText`` hold everything the child wrote.
    @discardableResult
    public func waitForExit(timeout: Duration) -> Int32? {
        _ = state.wait(timeout: timeout) { $0.waitStatus != nil ? true : nil }
        if state.waitStatus != nil {
            _ = state.wait(timeout: .seconds(1)) { $0.readersFinished == 2 ? true : nil }
        }
        return exitCode
    }

    /// Sends `signal` to the child's pid (e.g. `SIGKILL` for crash tests). Does nothing once it exited.
    public func kill(signal: Int32) {
        guard isRunning else { return }  // never signal a pid that may have been reused
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
