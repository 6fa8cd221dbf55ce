import ArgumentParser
import BridgeConfig
import BridgeRuntime
import Dispatch
import Foundation
import Logging
import Synchronization

/// Options shared by the long-running commands.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "The mapping file.")
    var config: String

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Seconds between progress lines in the log (0: none).")
    var progress: Int = 10

    /// Sets up logging to standard error and loads the mapping file, printing its problems on failure.
    func prepare() throws -> BridgeConfiguration {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
    }
}

/// Lets a part of the process that cannot go on (a worker that failed for good) end the wait of
/// `waitForTerminationSignal`, so that the process stops with a non-zero exit for its supervisor to see.
final class FatalStop: Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    private let reasonBox = Mutex<String?>(nil)

    /// Records the first reason and wakes the waiter.
    func trigger(_ reason: String) {
        let first = reasonBox.withLock { box -> Bool in
            guard box == nil else { return false }
            box = reason
            return true
        }
        if first { semaphore.signal() }
    }

    var reason: String? { reasonBox.withLock { $0 } }
}

/// Blocks until SIGINT or SIGTERM and returns the signal's name. SIGHUP calls `onReload` (on a serial
/// queue, one reload at a time) and goes on waiting; without `onReload` it is ignored. A triggered `fatal`
/// ends the wait too, returning "fatal".
func waitForTerminationSignal(onReload: (@Sendable () -> Void)? = nil, fatal: FatalStop? = nil) -> String {
    let received = fatal?.semaphore ?? DispatchSemaphore(value: 0)
    let name = SignalName()
    name.value = "fatal"
    var sources: [DispatchSourceSignal] = []
    for (number, label) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            name.value = label
            received.signal()
        }
        source.resume()
        sources.append(source)
    }
    signal(SIGHUP, SIG_IGN)
    if let onReload {
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "mqbridge.reload"))
        source.setEventHandler(handler: onReload)
        source.resume()
        sources.append(source)
    }
    received.wait()
    sources.forEach { $0.cancel() }
    return name.value
}

/// Reads the mapping file again and gives its rules to the running bridge; a file with problems is
/// refused with `check`'s messages and the rules in use stay.
func reloadMappings(path: String, host: BridgeHost, logger: Logger) {
    do {
        let fresh = try ConfigLoader.load(path: path)
        for note in host.reload(fresh) { logger.warning("\(note)") }
        logger.info("SIGHUP: rules reloaded from \(path); \(fresh.summary)")
    } catch {
        logger.error("SIGHUP: \(path) refused, the rules in use stay:\n\(error)")
    }
}

private final class SignalName: @unchecked Sendable {
    // Safe: written by the signal handler before the semaphore is signalled, read after the wait.
    var value = ""
}

extension MQTTSettings {
    /// The password, read from the environment when the mapping file names a variable.
    func resolvedPassword() throws -> String? {
        switch password {
        case nil: return nil
        case .literal(let text): return text
        case .environment(let variable):
            guard let value = ProcessInfo.processInfo.environment[variable] else {
                Console.error("mqtt.passwordEnv names \(variable), which is not set in the environment")
                throw ExitCode(1)
            }
            return value
        }
    }
}
