import ArgumentParser
import BridgeConfig
import BridgeRuntime
import Foundation
import Logging

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

/// Reads the mapping file again and gives its rules to the running bridge; a file with problems is
/// refused with `check`'s messages and the rules in use stay.
func reloadMappings(path: String, host: BridgeHost, logger: Logger) {
    do {
        let fresh = try ConfigLoader.load(path: path)
        for note in host.reload(fresh) { logger.warning("\(note)") }
        logger.info("SIGHUP: rules reloaded from \(path); \(fresh.summary)")
    } catch {
        logger.error("SIGHUP: \(path) refused, the rules in use stay:\n\(error)")
        host.noteReload(ok: false, "\(path) refused, the rules in use stay: \(error)")
    }
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
